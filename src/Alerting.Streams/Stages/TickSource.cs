namespace Alerting.Streams.Stages;

/// <summary>
/// Tick: emits <c>value</c> after <c>initialDelay</c> and then every <c>interval</c> on the stream's
/// <see cref="TimeProvider"/>. A tick that comes while downstream is not pulling is not queued: ticks missed
/// during one pull collapse into one. Never completes on its own; stops (disposing its timer) when downstream
/// cancels.
/// </summary>
internal sealed class TickSource<T>(TimeSpan initialDelay, TimeSpan interval, T value, StreamContext context) : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Tick");
        try
        {
            var clock = context.TimeProvider;
            if (initialDelay > TimeSpan.Zero)
            {
                await Task.Delay(initialDelay, clock, cancellationToken);
            }
            using var timer = new PeriodicTimer(interval, clock);
            yield return value;
            while (await timer.WaitForNextTickAsync(cancellationToken))
            {
                yield return value;
            }
        }
        finally
        {
            lifetime.Stop();
        }
    }
}
