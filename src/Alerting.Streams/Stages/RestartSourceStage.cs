namespace Alerting.Streams.Stages;

/// <summary>
/// RestartSource: emits the current attempt's elements; on failure (and on completion when
/// <c>restartOnComplete</c>) waits the backoff on the stream's <see cref="TimeProvider"/> and starts a new
/// attempt from the factory. Pulls the attempt once per downstream pull. Completes when an attempt completes
/// (unless restarting on completion) or the restart limit is reached after a completion; fails with the last
/// failure once the limit is reached after a failure. Downstream cancellation cancels the attempt and the wait.
/// </summary>
internal sealed class RestartSourceStage<T>(RestartSettings settings, Func<Source<T>> factory, bool restartOnComplete, StreamContext context)
    : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("RestartSource");
        var clock = context.TimeProvider;
        var restarts = 0;
        try
        {
            while (true)
            {
                var started = clock.GetTimestamp();
                Exception? failure = null;
                var e = factory().OpenUnguarded(context).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (true)
                    {
                        bool has;
                        try
                        {
                            has = await e.MoveNextAsync();
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
                        {
                            failure = ex;
                            break;
                        }
                        if (!has)
                        {
                            break;
                        }
                        yield return e.Current;
                    }
                }
                finally
                {
                    await e.DisposeAsync();
                }

                if (failure is null && !restartOnComplete)
                {
                    yield break;
                }
                if (clock.GetElapsedTime(started) > settings.MaxBackoff)
                {
                    restarts = 0;
                }
                if (settings.MaxRestarts >= 0 && restarts >= settings.MaxRestarts)
                {
                    if (failure is not null)
                    {
                        System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                    }
                    yield break;
                }
                await Task.Delay(settings.Backoff(restarts), clock, cancellationToken);
                restarts++;
            }
        }
        finally
        {
            lifetime.Stop();
        }
    }
}
