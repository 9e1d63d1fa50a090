namespace Alerting.Kafka.Dsl;

/// <summary>
/// The materialized value of the consumer sources: stops them and closes their consumer from outside the stream.
/// </summary>
public interface IControl
{
    /// <summary>
    /// Stops emitting: the source and every sub-source complete (records they buffered are dropped, not
    /// committed, so they are read again later). The consumer stays open to commit what is still in the stream,
    /// until <see cref="Shutdown"/> or the <c>stop-timeout</c>. Completes once the sources stopped.
    /// </summary>
    Task Stop();

    /// <summary>Stops emitting (as <see cref="Stop"/>) and closes the consumer at once: it leaves the group. Completes once closed.</summary>
    Task Shutdown();

    /// <summary>Completes once the consumer is closed, or fails with the source's failure.</summary>
    Task IsShutdown { get; }

    /// <summary>
    /// Stops emitting, waits for <paramref name="streamCompletion"/> (the stream's end: the last commit
    /// done), then closes the consumer. Returns the stream's result, or its failure after the consumer is closed.
    /// </summary>
    Task<TResult> DrainAndShutdown<TResult>(Task<TResult> streamCompletion);
}
