using System.Threading.Channels;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// Gathers requests that arrive while earlier ones are being answered and answers them together, so that many entities
/// recovering at once cost a few database round trips instead of one each. Plain C#: no Akka.
/// <para>Up to <c>maxInFlight</c> loads run at once; each takes every request waiting (at most <c>maxBatch</c>), so a
/// lone request is answered at once (no timer) and a burst is answered in batches. The load answers each request of its
/// batch; a load that throws fails every request of its batch that it left unanswered, with that exception.</para>
/// </summary>
/// <typeparam name="TRequest">A request; the load completes it.</typeparam>
public sealed class RecoveryBatcher<TRequest> : IAsyncDisposable
    where TRequest : IRecoveryRequest
{
    private readonly Channel<TRequest> _queue = Channel.CreateUnbounded<TRequest>(new UnboundedChannelOptions { SingleWriter = false });
    private readonly Func<IReadOnlyList<TRequest>, CancellationToken, Task> _load;
    private readonly int _maxBatch;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task[] _loops;

    /// <summary>Starts <paramref name="maxInFlight"/> loops answering batches of at most <paramref name="maxBatch"/> requests with <paramref name="load"/>.</summary>
    public RecoveryBatcher(Func<IReadOnlyList<TRequest>, CancellationToken, Task> load, int maxBatch, int maxInFlight)
    {
        ArgumentNullException.ThrowIfNull(load);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxBatch, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        _load = load;
        _maxBatch = maxBatch;
        _loops = [.. Enumerable.Range(0, maxInFlight).Select(_ => Task.Run(LoopAsync))];
    }

    /// <summary>Queues <paramref name="request"/>; it is answered by a later load (or failed when the batcher is disposed).</summary>
    public void Enqueue(TRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (!_queue.Writer.TryWrite(request))
        {
            request.Fail(new ObjectDisposedException(nameof(RecoveryBatcher<TRequest>)));
        }
    }

    /// <summary>Stops the loops; requests still waiting are failed.</summary>
    public async ValueTask DisposeAsync()
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_loops).ConfigureAwait(false);
        while (_queue.Reader.TryRead(out var left))
        {
            left.Fail(new ObjectDisposedException(nameof(RecoveryBatcher<TRequest>)));
        }
        _stop.Dispose();
    }

    private async Task LoopAsync()
    {
        var batch = new List<TRequest>(_maxBatch);
        try
        {
            while (await _queue.Reader.WaitToReadAsync(_stop.Token).ConfigureAwait(false))
            {
                batch.Clear();
                while (batch.Count < _maxBatch && _queue.Reader.TryRead(out var request))
                {
                    batch.Add(request);
                }
                if (batch.Count == 0)
                {
                    continue;
                }
                try
                {
                    await _load(batch, _stop.Token).ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    foreach (var request in batch)
                    {
                        request.Fail(ex);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            foreach (var request in batch)
            {
                request.Fail(new ObjectDisposedException(nameof(RecoveryBatcher<TRequest>)));
            }
        }
    }
}

/// <summary>A request of a <see cref="RecoveryBatcher{TRequest}"/>: failed when its batch cannot be answered.</summary>
public interface IRecoveryRequest
{
    /// <summary>Fails the request (does nothing when it was answered already).</summary>
    void Fail(Exception cause);
}
