namespace Alerting.Persistence.Postgres;

/// <summary>Settings of <see cref="PostgresEventStore"/>; immutable, copy with <c>with</c>.</summary>
public sealed record PostgresEventStoreOptions
{
    /// <summary>Apply the embedded schema (idempotent) before the first operation. Default on.</summary>
    public bool AutoInitialize { get; init; } = true;

    /// <summary>
    /// Batches of at least this many events are appended with binary COPY inside a transaction; smaller ones
    /// with one multi-row INSERT sent with the offsets in a single round trip. Default 64.
    /// </summary>
    public int CopyThreshold { get; init; } = 64;
}
