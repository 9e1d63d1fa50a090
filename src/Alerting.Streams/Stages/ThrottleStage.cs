namespace Alerting.Streams.Stages;

/// <summary>
/// Throttle (shaping): emits upstream elements unchanged and in order, at most <c>elements</c> per <c>per</c>
/// on average with bursts of up to <c>maximumBurst</c> (a token bucket that starts full, refilled from the
/// stream's <see cref="TimeProvider"/>). Pulls upstream once per downstream pull; when no token is left it
/// holds the element and waits on the clock before emitting it, so upstream is slowed, never buffered.
/// Completes when upstream completes; upstream failure and downstream cancellation pass through (a pending
/// wait is cancelled).
/// </summary>
internal sealed class ThrottleStage<T>(IAsyncEnumerable<T> upstream, int elements, TimeSpan per, int maximumBurst, StreamContext context)
    : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Throttle");
        var clock = context.TimeProvider;
        var capacity = Math.Max(1, maximumBurst);
        var tokensPerTick = (double)elements / per.Ticks;
        double tokens = capacity;
        var last = clock.GetTimestamp();
        try
        {
            await using var e = upstream.GetAsyncEnumerator(cancellationToken);
            while (await e.MoveNextAsync())
            {
                Refill();
                if (tokens < 1)
                {
                    var wait = TimeSpan.FromTicks((long)Math.Ceiling((1 - tokens) / tokensPerTick));
                    await Task.Delay(wait, clock, cancellationToken);
                    Refill();
                }
                tokens = Math.Max(0, tokens - 1);
                yield return e.Current;
            }
        }
        finally
        {
            lifetime.Stop();
        }

        void Refill()
        {
            var now = clock.GetTimestamp();
            tokens = Math.Min(capacity, tokens + (clock.GetElapsedTime(last, now).Ticks * tokensPerTick));
            last = now;
        }
    }
}
