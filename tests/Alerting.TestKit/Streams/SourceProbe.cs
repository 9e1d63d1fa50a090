using Xunit;
using System.Threading.Channels;
using Alerting.Streams;

namespace Alerting.TestKit.Streams;

/// <summary>
/// A source driven by a test: <see cref="SendNext(T)"/>, <see cref="SendComplete"/> and
/// <see cref="SendError"/> queue signals that are handed out one per pull, so the probe shows exactly how much
/// demand reached it (<see cref="Pulls"/>) and whether it was cancelled. Single use: materialize it once.
/// </summary>
public sealed class SourceProbe<T>
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);
    private readonly Channel<Signal> _signals = Channel.CreateUnbounded<Signal>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Lock _gate = new();
    private TaskCompletionSource _changed = NewSignal();
    private long _pulls;
    private long _delivered;
    private bool _terminated;
    private bool _cancelled;

    /// <summary>The probe as a source.</summary>
    public Source<T> Source => new(ctx => new Enumerable(this, ctx));

    /// <summary>How many times downstream pulled (each pull is one element of demand).</summary>
    public long Pulls => Interlocked.Read(ref _pulls);

    /// <summary>How many elements were handed downstream.</summary>
    public long Delivered => Interlocked.Read(ref _delivered);

    /// <summary>True once downstream cancelled (disposed the probe or cancelled its pull) before completion.</summary>
    public bool IsCancelled
    {
        get
        {
            lock (_gate)
            {
                return _cancelled;
            }
        }
    }

    /// <summary>Queues an element; it is handed out at the next pull.</summary>
    public SourceProbe<T> SendNext(T element)
    {
        _signals.Writer.TryWrite(new Signal(SignalKind.Next, element, null));
        return this;
    }

    /// <summary>Queues several elements.</summary>
    public SourceProbe<T> SendNext(params IEnumerable<T> elements)
    {
        ArgumentNullException.ThrowIfNull(elements);
        foreach (var element in elements)
        {
            SendNext(element);
        }
        return this;
    }

    /// <summary>Queues completion, handed out at the pull after the queued elements.</summary>
    public void SendComplete() => _signals.Writer.TryWrite(new Signal(SignalKind.Complete, default, null));

    /// <summary>Queues a failure, thrown at the pull after the queued elements.</summary>
    public void SendError(Exception exception) => _signals.Writer.TryWrite(new Signal(SignalKind.Error, default, exception));

    /// <summary>Waits until at least <paramref name="pulls"/> pulls in total have arrived.</summary>
    public Task ExpectPullsAsync(long pulls, TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Pulls >= pulls, timeout, () => $"expected {pulls} pull(s), got {Pulls}");

    /// <summary>Waits until a pull is pending (demand arrived and no element has answered it yet).</summary>
    public Task ExpectRequestAsync(TimeSpan? timeout = null) =>
        WaitUntilAsync(() => Pulls > Delivered, timeout, () => $"expected a pending pull; pulls {Pulls}, delivered {Delivered}");

    /// <summary>Waits until downstream has cancelled the probe.</summary>
    public Task ExpectCancellationAsync(TimeSpan? timeout = null) =>
        WaitUntilAsync(() => IsCancelled, timeout, () => "expected the source to be cancelled");

    private async Task WaitUntilAsync(Func<bool> condition, TimeSpan? timeout, Func<string> message)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        while (true)
        {
            Task changed;
            lock (_gate)
            {
                changed = _changed.Task;
            }
            if (condition())
            {
                return;
            }
            try
            {
                await changed.WaitAsync(cts.Token);
            }
            catch (OperationCanceledException)
            {
                Assert.Fail("SourceProbe: " + message());
            }
        }
    }

    private void Changed(Action? update = null)
    {
        TaskCompletionSource changed;
        lock (_gate)
        {
            update?.Invoke();
            changed = _changed;
            _changed = NewSignal();
        }
        changed.TrySetResult();
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private enum SignalKind
    {
        Next,
        Complete,
        Error,
    }

    private readonly record struct Signal(SignalKind Kind, T? Element, Exception? Error);

    private sealed class Enumerable(SourceProbe<T> probe, StreamContext context) : IAsyncEnumerable<T>
    {
        public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
            new Enumerator(probe, context.Register("SourceProbe"), cancellationToken);
    }

    private sealed class Enumerator(SourceProbe<T> probe, StageLifetime lifetime, CancellationToken token) : IAsyncEnumerator<T>
    {
        public T Current { get; private set; } = default!;

        public async ValueTask<bool> MoveNextAsync()
        {
            probe.Changed(() => probe._pulls++);
            Signal signal;
            try
            {
                signal = await probe._signals.Reader.ReadAsync(token);
            }
            catch (OperationCanceledException)
            {
                probe.Changed(() => probe._cancelled = true);
                throw;
            }
            switch (signal.Kind)
            {
                case SignalKind.Next:
                    Current = signal.Element!;
                    probe.Changed(() => probe._delivered++);
                    return true;
                case SignalKind.Complete:
                    probe.Changed(() => probe._terminated = true);
                    return false;
                default:
                    probe.Changed(() => probe._terminated = true);
                    throw signal.Error!;
            }
        }

        public ValueTask DisposeAsync()
        {
            probe.Changed(() =>
            {
                if (!probe._terminated)
                {
                    probe._cancelled = true;
                }
            });
            lifetime.Stop();
            return default;
        }
    }
}
