namespace Alerting.Streams.Stages;

/// <summary>
/// GroupedWithin: emits the upstream elements in batches (lists, in order) of at most <c>maxCount</c>, a batch
/// being emitted as soon as it is full or <c>window</c> after its first element arrived, whichever comes first
/// (time from the stream's <see cref="TimeProvider"/>). Never emits an empty batch. Pulls upstream only while
/// downstream is pulling, so at most one batch is held. Completes after emitting the partial batch when
/// upstream completes. Upstream failure fails downstream at once (the partial batch is dropped); downstream
/// cancellation cancels upstream and the window timer.
/// </summary>
internal sealed class GroupedWithinStage<T>(IAsyncEnumerable<T> upstream, int maxCount, TimeSpan window, StreamContext context)
    : IAsyncEnumerable<IReadOnlyList<T>>
{
    public async IAsyncEnumerator<IReadOnlyList<T>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("GroupedWithin");
        var clock = context.TimeProvider;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var e = upstream.GetAsyncEnumerator(cts.Token);
        var batch = new List<T>(Math.Min(maxCount, 1024));
        long batchStart = 0;
        Task<bool>? pending = null;
        CancellationTokenSource? timerCts = null;
        Task? timer = null;
        try
        {
            while (true)
            {
                if (batch.Count > 0 && clock.GetElapsedTime(batchStart) >= window)
                {
                    yield return TakeBatch();
                    continue;
                }

                bool has;
                if (pending is null)
                {
                    var pull = e.MoveNextAsync();
                    if (pull.IsCompletedSuccessfully)
                    {
                        has = pull.Result;
                    }
                    else if (batch.Count == 0)
                    {
                        has = await pull;
                    }
                    else
                    {
                        pending = pull.AsTask();
                        has = false;
                    }
                }
                else
                {
                    has = false;
                }

                if (pending is not null && batch.Count == 0)
                {
                    var done = pending;
                    pending = null;
                    has = await done;
                }
                else if (pending is not null)
                {
                    if (timer is null)
                    {
                        timerCts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                        var remaining = window - clock.GetElapsedTime(batchStart);
                        timer = Task.Delay(remaining > TimeSpan.Zero ? remaining : TimeSpan.Zero, clock, timerCts.Token);
                    }
                    await Task.WhenAny(pending, timer).WaitAsync(cancellationToken);
                    if (!pending.IsCompleted)
                    {
                        yield return TakeBatch();
                        continue;
                    }
                    var done = pending;
                    pending = null;
                    has = await done;
                }

                if (!has)
                {
                    if (batch.Count > 0)
                    {
                        yield return TakeBatch();
                    }
                    yield break;
                }
                if (batch.Count == 0)
                {
                    batchStart = clock.GetTimestamp();
                }
                batch.Add(e.Current);
                if (batch.Count >= maxCount)
                {
                    yield return TakeBatch();
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            if (pending is not null)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            StopTimer();
            try
            {
                await e.DisposeAsync();
            }
            finally
            {
                cts.Dispose();
                lifetime.Stop();
            }
        }

        List<T> TakeBatch()
        {
            StopTimer();
            var full = batch;
            batch = new List<T>(Math.Min(maxCount, 1024));
            return full;
        }

        void StopTimer()
        {
            if (timerCts is not null)
            {
                timerCts.Cancel();
                timerCts.Dispose();
                timerCts = null;
            }
            timer = null;
        }
    }
}
