using Xunit;
using System.Threading.Channels;
using Alerting.Streams;

namespace Alerting.TestKit.Streams;

/// <summary>
/// A sink driven by a test: it pulls its upstream only as far as the test has <see cref="Request"/>ed, and
/// records what arrived, so a test can expect the next element, completion, failure, or nothing for a while.
/// Every expectation has a timeout (3 s by default). Single use: materialize it once.
/// </summary>
public sealed class SinkProbe<T>
{
    private static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(3);
    private readonly Channel<Event> _events = Channel.CreateUnbounded<Event>();
    private readonly SemaphoreSlim _demand = new(0, int.MaxValue);
    private readonly CancellationTokenSource _cancel = new();

    /// <summary>The probe as a sink; its result completes when the upstream completes, fails or is cancelled.</summary>
    public Sink<T, Done> Sink => new(RunAsync);

    /// <summary>Signals demand for <paramref name="n"/> more elements.</summary>
    public SinkProbe<T> Request(int n)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(n, 1);
        _demand.Release(n);
        return this;
    }

    /// <summary>Cancels the upstream: the probe stops pulling and disposes it.</summary>
    public void Cancel() => _cancel.Cancel();

    /// <summary>Expects the next signal to be an element, and returns it.</summary>
    public async Task<T> ExpectNextAsync(TimeSpan? timeout = null)
    {
        var e = await NextEventAsync(timeout, "an element");
        if (e.Kind != EventKind.Next)
        {
            Assert.Fail($"SinkProbe: expected an element, got {e}");
        }
        return e.Element!;
    }

    /// <summary>Expects the next signal to be <paramref name="expected"/>.</summary>
    public async Task ExpectNextAsync(T expected, TimeSpan? timeout = null)
    {
        var actual = await ExpectNextAsync(timeout);
        Assert.Equal(expected, actual);
    }

    /// <summary>Expects the next signals to be <paramref name="expected"/>, in order.</summary>
    public async Task ExpectNextNAsync(IEnumerable<T> expected, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(expected);
        foreach (var element in expected)
        {
            await ExpectNextAsync(element, timeout);
        }
    }

    /// <summary>Requests one element and expects it to be <paramref name="expected"/>.</summary>
    public Task RequestNextAsync(T expected, TimeSpan? timeout = null)
    {
        Request(1);
        return ExpectNextAsync(expected, timeout);
    }

    /// <summary>Requests one element and returns it.</summary>
    public Task<T> RequestNextAsync(TimeSpan? timeout = null)
    {
        Request(1);
        return ExpectNextAsync(timeout);
    }

    /// <summary>Expects the next signal to be completion.</summary>
    public async Task ExpectCompleteAsync(TimeSpan? timeout = null)
    {
        var e = await NextEventAsync(timeout, "completion");
        if (e.Kind != EventKind.Complete)
        {
            Assert.Fail($"SinkProbe: expected completion, got {e}");
        }
    }

    /// <summary>Expects the next signal to be a failure, and returns the exception.</summary>
    public async Task<Exception> ExpectErrorAsync(TimeSpan? timeout = null)
    {
        var e = await NextEventAsync(timeout, "a failure");
        if (e.Kind != EventKind.Error)
        {
            Assert.Fail($"SinkProbe: expected a failure, got {e}");
        }
        return e.Error!;
    }

    /// <summary>Skips elements until a failure arrives, and returns it; fails on completion.</summary>
    public async Task<Exception> ExpectErrorIgnoringElementsAsync(TimeSpan? timeout = null)
    {
        while (true)
        {
            var e = await NextEventAsync(timeout, "a failure");
            if (e.Kind == EventKind.Error)
            {
                return e.Error!;
            }
            if (e.Kind == EventKind.Complete)
            {
                Assert.Fail("SinkProbe: expected a failure, got completion");
            }
        }
    }

    /// <summary>Expects no signal at all during <paramref name="within"/> (real time; keep it short).</summary>
    public async Task ExpectNoMessageAsync(TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TimeSpan.FromMilliseconds(100));
        try
        {
            await _events.Reader.WaitToReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            return;
        }
        _events.Reader.TryPeek(out var e);
        Assert.Fail($"SinkProbe: expected no signal, got {e}");
    }

    /// <summary>Requests everything and collects the elements until completion (fails on a failure signal).</summary>
    public async Task<IReadOnlyList<T>> ToListAsync(TimeSpan? timeout = null)
    {
        Request(int.MaxValue / 2);
        var list = new List<T>();
        while (true)
        {
            var e = await NextEventAsync(timeout, "an element or completion");
            switch (e.Kind)
            {
                case EventKind.Next:
                    list.Add(e.Element!);
                    break;
                case EventKind.Complete:
                    return list;
                default:
                    Assert.Fail($"SinkProbe: expected elements and completion, got {e}");
                    break;
            }
        }
    }

    private async Task<Event> NextEventAsync(TimeSpan? timeout, string what)
    {
        using var cts = new CancellationTokenSource(timeout ?? DefaultTimeout);
        try
        {
            return await _events.Reader.ReadAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"SinkProbe: timed out after {timeout ?? DefaultTimeout} waiting for {what}");
            throw;
        }
    }

    private async Task<Done> RunAsync(IAsyncEnumerable<T> upstream, StreamContext context)
    {
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(context.Aborted, _cancel.Token);
        try
        {
            var e = upstream.GetAsyncEnumerator(linked.Token);
            try
            {
                while (true)
                {
                    await _demand.WaitAsync(linked.Token);
                    if (!await e.MoveNextAsync())
                    {
                        _events.Writer.TryWrite(new Event(EventKind.Complete, default, null));
                        return default;
                    }
                    _events.Writer.TryWrite(new Event(EventKind.Next, e.Current, null));
                }
            }
            finally
            {
                await e.DisposeAsync();
            }
        }
        catch (OperationCanceledException) when (_cancel.IsCancellationRequested)
        {
            return default;
        }
        catch (Exception ex)
        {
            _events.Writer.TryWrite(new Event(EventKind.Error, default, ex));
            throw;
        }
    }

    private enum EventKind
    {
        Next,
        Complete,
        Error,
    }

    private readonly record struct Event(EventKind Kind, T? Element, Exception? Error)
    {
        public override string ToString() => Kind switch
        {
            EventKind.Next => $"element {Element}",
            EventKind.Complete => "completion",
            _ => $"failure {Error?.GetType().Name}: {Error?.Message}",
        };
    }
}
