using Alerting.Streams;

namespace Alerting.Enrichment;

/// <summary>
/// Flatten: emits the elements of each upstream list, in order, one per downstream pull; pulls the next list
/// only when the current one is exhausted (empty lists are skipped). Completes when upstream completes;
/// upstream failure fails downstream; downstream cancellation cancels upstream.
/// </summary>
internal sealed class FlattenStage<T>(IAsyncEnumerable<IReadOnlyList<T>> upstream, StreamContext context) : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Flatten");
        try
        {
            await foreach (var list in upstream.WithCancellation(cancellationToken))
            {
                foreach (var element in list)
                {
                    yield return element;
                }
            }
        }
        finally
        {
            lifetime.Stop();
        }
    }
}
