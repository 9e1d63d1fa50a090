namespace Alerting.Streams.Stages;

/// <summary>
/// Scan: emits the running aggregate <c>acc = f(acc, x)</c> after each upstream element (not the seed).
/// Pulls upstream once per downstream pull. Completes when upstream completes. If <c>f</c> throws, the
/// supervision decides: Stop fails the stream; Resume drops the element and keeps the aggregate; Restart
/// drops the element and resets the aggregate to the seed. Fused: runs on the caller's pull.
/// </summary>
internal sealed class ScanStage<TIn, TAcc>(
    IAsyncEnumerable<TIn> upstream, TAcc seed, Func<TAcc, TIn, TAcc> fold, SupervisionStrategy supervision, StreamContext context)
    : IAsyncEnumerable<TAcc>
{
    public async IAsyncEnumerator<TAcc> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Scan");
        try
        {
            var acc = seed;
            await using var e = upstream.GetAsyncEnumerator(cancellationToken);
            while (await e.MoveNextAsync())
            {
                var element = e.Current;
                bool ok;
                try
                {
                    acc = fold(acc, element);
                    ok = true;
                }
                catch (Exception ex) when (supervision.Decide("Scan", element, ex) is var d && d != Directive.Stop)
                {
                    ok = false;
                    if (d == Directive.Restart)
                    {
                        acc = seed;
                    }
                }
                if (ok)
                {
                    yield return acc;
                }
            }
        }
        finally
        {
            lifetime.Stop();
        }
    }
}
