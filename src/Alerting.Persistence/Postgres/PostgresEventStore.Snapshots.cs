namespace Alerting.Persistence.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    public async Task SaveSnapshotAsync(SnapshotWrite snapshot, CancellationToken cancellationToken)
    {
        SnapshotValidation.Validate(snapshot);
        await ReadyAsync(cancellationToken);
        var m = snapshot.Metadata;
        await using var cmd = Command("save_snapshot", P(m.PersistenceId), P(m.SequenceNr), P(snapshot.PartitionKey),
            P(m.Timestamp.ToUnixTimeMilliseconds()), P(snapshot.Manifest), P(snapshot.Payload));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SelectedSnapshot?> LoadSnapshotAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await ReadyAsync(cancellationToken);
        await using var cmd = Command("load_snapshot", CriteriaParameters(persistenceId, criteria));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        return new SelectedSnapshot(metadata, reader.GetString(2), reader.GetFieldValue<byte[]>(3));
    }

    /// <inheritdoc />
    public async Task DeleteSnapshotsAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await ReadyAsync(cancellationToken);
        await using var cmd = Command("delete_snapshots", CriteriaParameters(persistenceId, criteria));
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static Npgsql.NpgsqlParameter[] CriteriaParameters(string persistenceId, SnapshotSelectionCriteria c) =>
    [
        P(persistenceId), P(c.MaxSequenceNr), P(c.MaxTimestamp.ToUnixTimeMilliseconds()),
        P(c.MinSequenceNr), P(c.EffectiveMinTimestamp.ToUnixTimeMilliseconds()),
    ];
}
