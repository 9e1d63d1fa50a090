namespace Alerting.Persistence.Sqlite;

/// <summary>Settings of <see cref="SqliteEventStore"/>; immutable, copy with <c>with</c>.</summary>
public sealed record SqliteEventStoreOptions
{
    /// <summary>Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=/var/lib/alerting/journal.db</c>.</summary>
    public required string ConnectionString { get; init; }

    /// <summary>Apply the embedded schema and WAL mode before the first operation. Default on.</summary>
    public bool AutoInitialize { get; init; } = true;

    /// <summary>How long a writer waits for another writer's lock before failing. Default 30 s.</summary>
    public TimeSpan BusyTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
