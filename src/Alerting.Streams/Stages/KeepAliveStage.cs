namespace Alerting.Streams.Stages;

/// <summary>
/// KeepAlive: emits upstream elements unchanged, and when upstream has emitted nothing for <c>maxIdle</c>
/// (since its last element or the last injected one, on the stream's <see cref="TimeProvider"/>) while
/// downstream is pulling, emits <c>inject()</c> instead (a heartbeat, e.g. to let a watermark advance on an
/// idle partition). The pull in progress stays pending across injections, so no upstream element is lost or
/// reordered. Completes when upstream completes; upstream failure and downstream cancellation pass through
/// (the idle timer is disposed).
/// </summary>
internal sealed class KeepAliveStage<T>(IAsyncEnumerable<T> upstream, TimeSpan maxIdle, Func<T> inject, StreamContext context)
    : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("KeepAlive");
        var clock = context.TimeProvider;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var e = upstream.GetAsyncEnumerator(cts.Token);
        Task<bool>? pending = null;
        var lastEmit = clock.GetTimestamp();
        try
        {
            while (true)
            {
                bool has;
                if (pending is null)
                {
                    var pull = e.MoveNextAsync();
                    if (pull.IsCompletedSuccessfully)
                    {
                        has = pull.Result;
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

                if (pending is not null)
                {
                    var remaining = maxIdle - clock.GetElapsedTime(lastEmit);
                    if (remaining > TimeSpan.Zero)
                    {
                        using var idleCts = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
                        var idle = Task.Delay(remaining, clock, idleCts.Token);
                        try
                        {
                            await Task.WhenAny(pending, idle).WaitAsync(cancellationToken);
                        }
                        finally
                        {
                            // cancelling (not just disposing) the token is what disposes the idle timer
                            await idleCts.CancelAsync();
                        }
                    }
                    if (!pending.IsCompleted)
                    {
                        lastEmit = clock.GetTimestamp();
                        yield return inject();
                        continue;
                    }
                    var done = pending;
                    pending = null;
                    has = await done;
                }

                if (!has)
                {
                    yield break;
                }
                lastEmit = clock.GetTimestamp();
                yield return e.Current;
            }
        }
        finally
        {
            await cts.CancelAsync();
            if (pending is not null)
            {
                await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
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
    }
}
