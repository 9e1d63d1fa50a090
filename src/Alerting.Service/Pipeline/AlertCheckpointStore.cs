using System.Globalization;
using Alerting.Persistence;
using Alerting.Rules;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert pipeline's checkpoints in the snapshot store of the persistence layer (<see cref="IEventStore"/>,
/// PostgreSQL or SQLite): one snapshot per consumer group and events-topic partition, persistence id
/// <c>alert-engine-{group}-{topic}-{partition}</c>, so the snapshot and the offsets it resumes from are stored in
/// one write.
/// <para>
/// Fencing. Each owner of a partition writes at its own <b>epoch</b>, the snapshot's sequence number: an owner
/// that is assigned the partition loads the latest checkpoint (epoch <c>e</c>) and claims epoch <c>e + 1</c> by
/// writing that checkpoint again there (<see cref="ClaimAsync"/>) before it reads a record; it then overwrites
/// its own row at each checkpoint and deletes the older ones. Loading picks the highest epoch, so a previous owner
/// that lost the partition without noticing (a session timeout) and stores a checkpoint afterwards writes at its
/// own, older epoch: it never replaces the newer owner's.
/// </para>
/// </summary>
public sealed class AlertCheckpointStore(IEventStore store, TimeProvider time)
{
    /// <summary>The manifest of a claim made when there was no checkpoint yet (no payload).</summary>
    public const string ClaimManifest = "alert-checkpoint-claim/1";

    /// <summary>The partition's latest checkpoint (null when it has none) and the epoch it was stored at (0 when nothing was).</summary>
    /// <exception cref="InvalidDataException">The stored checkpoint cannot be read.</exception>
    public async Task<StoredCheckpoint> LoadLatestAsync(string groupId, SourcePartition partition, CancellationToken cancellationToken)
    {
        var snapshot = await store.LoadSnapshotAsync(PersistenceId(groupId, partition), SnapshotSelectionCriteria.Latest, cancellationToken);
        return snapshot switch
        {
            null => new StoredCheckpoint(null, 0),
            { Manifest: ClaimManifest } => new StoredCheckpoint(null, snapshot.Metadata.SequenceNr),
            { Manifest: AlertCheckpoint.Manifest or AlertCheckpoint.ManifestV1 } => new StoredCheckpoint(AlertCheckpoint.FromBytes(snapshot.Payload, snapshot.Manifest), snapshot.Metadata.SequenceNr),
            _ => throw new InvalidDataException($"checkpoint {snapshot.Metadata.PersistenceId} has manifest {snapshot.Manifest}, expected {AlertCheckpoint.Manifest}"),
        };
    }

    /// <summary>
    /// Claims the partition for a new owner: stores <paramref name="loaded"/>'s checkpoint again (or a claim without
    /// one) at the next epoch, which is returned; from then on a checkpoint stored at an older epoch is never loaded.
    /// </summary>
    public async Task<long> ClaimAsync(string groupId, SourcePartition partition, StoredCheckpoint loaded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var epoch = loaded.Epoch + 1;
        var id = PersistenceId(groupId, partition);
        var write = loaded.Checkpoint is { } checkpoint
            ? new SnapshotWrite(new SnapshotMetadata(id, epoch, time.GetUtcNow()), Key(partition), AlertCheckpoint.Manifest, checkpoint.ToBytes())
            : new SnapshotWrite(new SnapshotMetadata(id, epoch, time.GetUtcNow()), Key(partition), ClaimManifest, []);
        await store.SaveSnapshotAsync(write, cancellationToken);
        return epoch;
    }

    /// <summary>Stores a partition's checkpoint at the owner's epoch and deletes the older epochs' rows.</summary>
    public async Task SaveAsync(string groupId, SourcePartition partition, long epoch, AlertCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        var id = PersistenceId(groupId, partition);
        await store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(id, epoch, time.GetUtcNow()), Key(partition), AlertCheckpoint.Manifest, checkpoint.ToBytes()), cancellationToken);
        if (epoch > 1)
        {
            await store.DeleteSnapshotsAsync(id, new SnapshotSelectionCriteria(epoch - 1, DateTimeOffset.MaxValue), cancellationToken);
        }
    }

    private static string Key(SourcePartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"alert-engine-{partition.Topic}-{partition.Partition}");

    /// <summary>The persistence id of a partition's checkpoint.</summary>
    public static string PersistenceId(string groupId, SourcePartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"alert-engine-{groupId}-{partition.Topic}-{partition.Partition}");

}

/// <summary>A partition's checkpoint as loaded, with the epoch of the owner that stored it.</summary>
/// <param name="Checkpoint">The checkpoint, or null when none was stored (or only a claim).</param>
/// <param name="Epoch">The epoch it was stored at; 0 when nothing was.</param>
public sealed record StoredCheckpoint(AlertCheckpoint? Checkpoint, long Epoch);
