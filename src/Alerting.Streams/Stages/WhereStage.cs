namespace Alerting.Streams.Stages;

/// <summary>
/// Where (filter): emits the upstream elements for which the predicate holds, in order. Pulls upstream until
/// an element passes (one pull per downstream pull when all pass); never buffers. Completes when upstream
/// completes. If the predicate throws, the supervision decides: Stop fails downstream and cancels upstream;
/// Resume and Restart drop the element to the dead letters. Runs synchronously on the caller's pull, fused
/// with neighbouring Select and Where stages (<see cref="FusedStage{TIn,TOut}"/>).
/// </summary>
internal static class WhereStage
{
    public static IAsyncEnumerable<T> Create<T>(
        IAsyncEnumerable<T> upstream, Func<T, bool> predicate, SupervisionStrategy supervision, StreamContext context)
    {
        Step<T, T> step = (T input, out T output) =>
        {
            output = input;
            try
            {
                return predicate(input);
            }
            catch (Exception ex) when (supervision.Decide("Where", input, ex) != Directive.Stop)
            {
                return false;
            }
        };
        return Fusion.Attach(upstream, step, "Where", context);
    }
}
