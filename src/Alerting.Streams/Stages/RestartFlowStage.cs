namespace Alerting.Streams.Stages;

/// <summary>
/// RestartFlow: emits what the current flow instance emits. The upstream is shared by successive instances
/// (an instance sees it as a sequence it cannot dispose); when an instance fails for a reason other than an
/// upstream failure, the element it held is lost, and after the backoff (on the stream's
/// <see cref="TimeProvider"/>) a new instance continues with the next upstream element. Pulls upstream
/// through the current instance. Completes when an instance completes; upstream failure fails downstream;
/// after the restart limit the flow's failure fails downstream. Downstream cancellation cancels all.
/// </summary>
internal sealed class RestartFlowStage<TIn, TOut>(
    IAsyncEnumerable<TIn> upstream, RestartSettings settings, Func<Flow<TIn, TOut>> factory, StreamContext context)
    : IAsyncEnumerable<TOut>
{
    public async IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("RestartFlow");
        var clock = context.TimeProvider;
        var shared = new SharedUpstream(upstream.GetAsyncEnumerator(cancellationToken));
        var restarts = 0;
        try
        {
            while (true)
            {
                var started = clock.GetTimestamp();
                Exception? failure = null;
                var e = factory().Apply(shared, context).GetAsyncEnumerator(cancellationToken);
                try
                {
                    while (true)
                    {
                        bool has;
                        try
                        {
                            has = await e.MoveNextAsync();
                        }
                        catch (Exception ex) when (!cancellationToken.IsCancellationRequested && shared.Failure is null)
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

                if (failure is null)
                {
                    yield break;
                }
                if (clock.GetElapsedTime(started) > settings.MaxBackoff)
                {
                    restarts = 0;
                }
                if (settings.MaxRestarts >= 0 && restarts >= settings.MaxRestarts)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(failure);
                }
                await Task.Delay(settings.Backoff(restarts), clock, cancellationToken);
                restarts++;
            }
        }
        finally
        {
            try
            {
                await shared.Inner.DisposeAsync();
            }
            finally
            {
                lifetime.Stop();
            }
        }
    }

    /// <summary>The upstream as each flow instance sees it: enumerable once per instance, never disposed by it.</summary>
    private sealed class SharedUpstream(IAsyncEnumerator<TIn> inner) : IAsyncEnumerable<TIn>, IAsyncEnumerator<TIn>
    {
        public IAsyncEnumerator<TIn> Inner => inner;

        public Exception? Failure { get; private set; }

        public TIn Current => inner.Current;

        public IAsyncEnumerator<TIn> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public async ValueTask<bool> MoveNextAsync()
        {
            try
            {
                return await inner.MoveNextAsync();
            }
            catch (Exception ex)
            {
                Failure = ex;
                throw;
            }
        }

        public ValueTask DisposeAsync() => default;
    }
}
