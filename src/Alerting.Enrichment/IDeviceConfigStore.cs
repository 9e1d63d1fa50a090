namespace Alerting.Enrichment;

/// <summary>
/// Where device configurations live (<c>device_config</c> joined with <c>device_sla</c>). The lookup join calls
/// <see cref="LoadAsync"/> once per batch of cache misses; the demo seeds rows with <see cref="UpsertAsync"/>.
/// </summary>
public interface IDeviceConfigStore
{
    /// <summary>
    /// Loads the configurations of <paramref name="deviceIds"/> in one query. The result holds an entry for every
    /// requested device that has a row in either table, keyed by device id; devices with no row are absent.
    /// An empty request issues no query. A failure (database down) throws; nothing is retried here.
    /// </summary>
    Task<IReadOnlyDictionary<string, DeviceConfig>> LoadAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken);

    /// <summary>
    /// Inserts or replaces the rows of <paramref name="configs"/> in both tables, in one transaction per chunk
    /// (for seeding the demo with generated configurations). When a device id repeats, the last one wins.
    /// </summary>
    Task UpsertAsync(IReadOnlyCollection<DeviceConfig> configs, CancellationToken cancellationToken);

    /// <summary>Applies the embedded schema (idempotent).</summary>
    Task ApplySchemaAsync(CancellationToken cancellationToken);

    /// <summary>How many load queries this store has sent to its database (successful or not).</summary>
    long LoadQueries { get; }
}
