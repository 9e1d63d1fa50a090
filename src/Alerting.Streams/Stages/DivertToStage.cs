namespace Alerting.Streams.Stages;

/// <summary>
/// DivertTo: emits the upstream elements for which <c>predicate</c> is false; the others are offered to a
/// <see cref="SideOutput{T}"/> (dead letters, late events), which never waits: when full it drops and counts,
/// or fails the stage under <see cref="OverflowStrategy.Fail"/>. Pulls upstream until an element stays on the
/// main path. Completes when upstream completes; upstream failure and downstream cancellation pass through.
/// When <c>completeSideOutput</c> is set, the side output is completed when this stage stops, for any reason.
/// </summary>
internal sealed class DivertToStage<T>(
    IAsyncEnumerable<T> upstream, SideOutput<T> side, Func<T, bool> predicate, bool completeSideOutput, StreamContext context)
    : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("DivertTo");
        try
        {
            await using var e = upstream.GetAsyncEnumerator(cancellationToken);
            while (await e.MoveNextAsync())
            {
                var element = e.Current;
                if (predicate(element))
                {
                    side.Offer(element);
                }
                else
                {
                    yield return element;
                }
            }
        }
        finally
        {
            if (completeSideOutput)
            {
                side.Complete();
            }
            lifetime.Stop();
        }
    }
}
