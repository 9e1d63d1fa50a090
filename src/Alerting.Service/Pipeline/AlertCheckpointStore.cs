using System.Globalization;
using Alerting.Persistence;
using Alerting.Rules;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert pipeline's checkpoints in the snapshot store of the persistence layer (<see cref="IEventStore"/>,
/// PostgreSQL or SQLite): one snapshot per consumer group and events-topic partition, persistence id
/// <c>alert-engine-{group}-{topic}-{partition}</c>, overwritten at each checkpoint (sequence number 1), so the
/// snapshot and the offsets it resumes from are stored in one write.
/// </summary>
public sealed class AlertCheckpointStore(IEventStore store, TimeProvider time)
{
    /// <summary>The persistence id of a partition's checkpoint.</summary>
    public static string PersistenceId(string groupId, SourcePartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"alert-engine-{groupId}-{partition.Topic}-{partition.Partition}");

    /// <summary>The partition's latest checkpoint, or null when it has none.</summary>
    /// <exception cref="InvalidDataException">The stored checkpoint cannot be read.</exception>
    public async Task<AlertCheckpoint?> LoadAsync(string groupId, SourcePartition partition, CancellationToken cancellationToken)
    {
        var snapshot = await store.LoadSnapshotAsync(PersistenceId(groupId, partition), SnapshotSelectionCriteria.Latest, cancellationToken);
        if (snapshot is null)
        {
            return null;
        }

        if (snapshot.Manifest != AlertCheckpoint.Manifest)
        {
            throw new InvalidDataException($"checkpoint {snapshot.Metadata.PersistenceId} has manifest {snapshot.Manifest}, expected {AlertCheckpoint.Manifest}");
        }

        return AlertCheckpoint.FromBytes(snapshot.Payload);
    }

    /// <summary>Stores the checkpoints, one write per partition (each replaces that partition's previous one).</summary>
    public async Task SaveAsync(string groupId, IEnumerable<KeyValuePair<SourcePartition, AlertCheckpoint>> checkpoints, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoints);
        var now = time.GetUtcNow();
        foreach (var (partition, checkpoint) in checkpoints)
        {
            var id = PersistenceId(groupId, partition);
            var key = string.Create(CultureInfo.InvariantCulture, $"alert-engine-{partition.Topic}-{partition.Partition}");
            await store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(id, 1, now), key, AlertCheckpoint.Manifest, checkpoint.ToBytes()), cancellationToken);
        }
    }
}
