namespace Akka.Alerting.Streams.Stages;

/// <summary>
/// Where (filter): emits the upstream elements for which the predicate holds, in order. Pulls upstream until
/// an element passes (one pull per downstream pull when all pass); never buffers. Completes when upstream
/// completes. If the predicate throws, the supervision decides: Stop fails downstream and cancels upstream;
/// Resume and Restart drop the element (to the dead letters). Runs synchronously on the caller's pull (fused).
/// </summary>
internal sealed class WhereStage<T>(
    IAsyncEnumerable<T> upstream, Func<T, bool> predicate, SupervisionStrategy supervision, StreamContext context)
    : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(upstream.GetAsyncEnumerator(cancellationToken), predicate, supervision, context.Register("Where"));

    private sealed class Enumerator(
        IAsyncEnumerator<T> upstream, Func<T, bool> predicate, SupervisionStrategy supervision, StageLifetime lifetime)
        : IAsyncEnumerator<T>
    {
        public T Current { get; private set; } = default!;

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
                if (Test(upstream.Current))
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
                if (Test(upstream.Current))
                {
                    return true;
                }
                pull = upstream.MoveNextAsync();
            }
        }

        private bool Test(T element)
        {
            try
            {
                if (predicate(element))
                {
                    Current = element;
                    return true;
                }
                return false;
            }
            catch (Exception ex) when (supervision.Decide("Where", element, ex) != Directive.Stop)
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
