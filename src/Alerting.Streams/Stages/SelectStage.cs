namespace Akka.Alerting.Streams.Stages;

/// <summary>
/// Select (map): emits <c>f(x)</c> for each upstream element, in order. Pulls upstream once per downstream
/// pull (plus once more per element dropped under supervision); never buffers. Completes when upstream
/// completes. If <c>f</c> throws, the supervision decides: Stop fails downstream and cancels upstream;
/// Resume and Restart drop the element (to the dead letters) and pull the next one. Upstream failure and
/// downstream cancellation pass straight through. Runs synchronously on the caller's pull (fused).
/// </summary>
internal sealed class SelectStage<TIn, TOut>(
    IAsyncEnumerable<TIn> upstream, Func<TIn, TOut> selector, SupervisionStrategy supervision, StreamContext context)
    : IAsyncEnumerable<TOut>
{
    public IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(upstream.GetAsyncEnumerator(cancellationToken), selector, supervision, context.Register("Select"));

    private sealed class Enumerator(
        IAsyncEnumerator<TIn> upstream, Func<TIn, TOut> selector, SupervisionStrategy supervision, StageLifetime lifetime)
        : IAsyncEnumerator<TOut>
    {
        public TOut Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            while (true)
            {
                var pull = upstream.MoveNextAsync();
                if (!pull.IsCompletedSuccessfully)
                {
                    return Slow(pull);
                }
                if (!pull.Result)
                {
                    return new ValueTask<bool>(false);
                }
                if (TryApply(upstream.Current))
                {
                    return new ValueTask<bool>(true);
                }
            }
        }

        private async ValueTask<bool> Slow(ValueTask<bool> pull)
        {
            while (true)
            {
                if (!await pull)
                {
                    return false;
                }
                if (TryApply(upstream.Current))
                {
                    return true;
                }
                pull = upstream.MoveNextAsync();
            }
        }

        private bool TryApply(TIn element)
        {
            try
            {
                Current = selector(element);
                return true;
            }
            catch (Exception ex) when (supervision.Decide("Select", element, ex) != Directive.Stop)
            {
                return false;
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await upstream.DisposeAsync();
            }
            finally
            {
                lifetime.Stop();
            }
        }
    }
}
