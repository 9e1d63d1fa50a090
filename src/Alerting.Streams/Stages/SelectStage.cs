namespace Alerting.Streams.Stages;

/// <summary>
/// Select (map): emits <c>f(x)</c> for each upstream element, in order. Pulls upstream once per downstream
/// pull (plus once more per element dropped under supervision); never buffers. Completes when upstream
/// completes. If <c>f</c> throws, the supervision decides: Stop fails downstream and cancels upstream;
/// Resume and Restart (it has no state to reset) drop the element to the dead letters and pull the next one.
/// Upstream failure and downstream cancellation pass straight through. Runs synchronously on the caller's
/// pull, fused with neighbouring Select and Where stages (<see cref="FusedStage{TIn,TOut}"/>).
/// </summary>
internal static class SelectStage
{
    public static IAsyncEnumerable<TOut> Create<TIn, TOut>(
        IAsyncEnumerable<TIn> upstream, Func<TIn, TOut> selector, SupervisionStrategy supervision, StreamContext context)
    {
        Step<TIn, TOut> step = (TIn input, out TOut output) =>
        {
            try
            {
                output = selector(input);
                return true;
            }
            catch (Exception ex) when (supervision.Decide("Select", input, ex) != Directive.Stop)
            {
                output = default!;
                return false;
            }
        };
        return Fusion.Attach(upstream, step, "Select", context);
    }
}
