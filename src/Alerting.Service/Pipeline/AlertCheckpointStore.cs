using System.Globalization;
using Akka.Actor;
using Akka.Persistence;
using Alerting.Rules;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert pipeline's checkpoints in a snapshot store of Akka.Persistence (<see cref="AlertCheckpointPersistence.PluginId"/>:
/// Akka.Persistence.Sql on PostgreSQL or SQLite): one snapshot per consumer group and events-topic partition,
/// persistence id <c>alert-engine-{group}-{topic}-{partition}</c>, so the matcher's state and the offsets it resumes
/// from are stored in one write.
/// <para>
/// Fencing. Each owner of a partition writes at its own <b>epoch</b>, the snapshot's sequence number: an owner
/// that is assigned the partition loads the latest checkpoint (epoch <c>e</c>) and claims epoch <c>e + 1</c> by
/// writing that checkpoint again there (<see cref="ClaimAsync"/>) before it reads a record; it then overwrites
/// its own row at each checkpoint and deletes the older ones. Loading picks the highest epoch, so a previous owner
/// that lost the partition without noticing (a session timeout) and stores a checkpoint afterwards writes at its
/// own, older epoch: it never replaces the newer owner's.
/// </para>
/// </summary>
/// <param name="snapshotStore">The snapshot store's actor.</param>
/// <param name="time">The clock of the snapshots' timestamps.</param>
/// <param name="timeout">How long one request to the store may take before it fails.</param>
public sealed class AlertCheckpointStore(IActorRef snapshotStore, TimeProvider time, TimeSpan timeout)
{
    /// <summary>The checkpoints in <paramref name="system"/>'s <see cref="AlertCheckpointPersistence.PluginId"/> snapshot store (configured by <see cref="AlertCheckpointPersistence.Hocon"/>).</summary>
    public AlertCheckpointStore(ActorSystem system, TimeProvider time)
        : this(Persistence.Instance.Apply(system).SnapshotStoreFor(AlertCheckpointPersistence.PluginId), time, TimeSpan.FromSeconds(30))
    {
    }

    /// <summary>The partition's latest checkpoint (null when it has none) and the epoch it was stored at (0 when nothing was).</summary>
    /// <exception cref="AlertCheckpointException">The store failed, or the stored checkpoint cannot be read.</exception>
    public async Task<StoredCheckpoint> LoadLatestAsync(string groupId, SourcePartition partition, CancellationToken cancellationToken)
    {
        var id = PersistenceId(groupId, partition);
        var reply = await AskAsync(new LoadSnapshot(id, SnapshotSelectionCriteria.Latest, long.MaxValue), cancellationToken);
        return reply switch
        {
            LoadSnapshotResult { Snapshot: null } => new StoredCheckpoint(null, 0),
            LoadSnapshotResult { Snapshot: { Snapshot: AlertCheckpoint checkpoint } s } => new StoredCheckpoint(checkpoint, s.Metadata.SequenceNr),
            LoadSnapshotResult { Snapshot: { Snapshot: AlertCheckpointClaim } s } => new StoredCheckpoint(null, s.Metadata.SequenceNr),
            LoadSnapshotResult { Snapshot: { } s } => throw new AlertCheckpointException($"checkpoint {id} holds a {s.Snapshot?.GetType().Name}, not an alert checkpoint"),
            LoadSnapshotFailed failed => throw new AlertCheckpointException($"checkpoint {id} could not be loaded: {failed.Cause.Message}", failed.Cause),
            _ => throw Unexpected(id, reply),
        };
    }

    /// <summary>
    /// Claims the partition for a new owner: stores <paramref name="loaded"/>'s checkpoint again (or a claim without
    /// one) at the next epoch, which is returned; from then on a checkpoint stored at an older epoch is never loaded.
    /// </summary>
    /// <exception cref="AlertCheckpointException">The store failed.</exception>
    public async Task<long> ClaimAsync(string groupId, SourcePartition partition, StoredCheckpoint loaded, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(loaded);
        var epoch = loaded.Epoch + 1;
        await SaveAtAsync(PersistenceId(groupId, partition), epoch, loaded.Checkpoint is { } checkpoint ? checkpoint : AlertCheckpointClaim.Instance, cancellationToken);
        return epoch;
    }

    /// <summary>Stores a partition's checkpoint at the owner's epoch and deletes the older epochs' rows.</summary>
    /// <exception cref="AlertCheckpointException">The store failed.</exception>
    public async Task SaveAsync(string groupId, SourcePartition partition, long epoch, AlertCheckpoint checkpoint, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(checkpoint);
        ArgumentOutOfRangeException.ThrowIfLessThan(epoch, 1);
        var id = PersistenceId(groupId, partition);
        await SaveAtAsync(id, epoch, checkpoint, cancellationToken);
        if (epoch > 1)
        {
            var reply = await AskAsync(new DeleteSnapshots(id, new SnapshotSelectionCriteria(epoch - 1, DateTime.MaxValue)), cancellationToken);
            switch (reply)
            {
                case DeleteSnapshotsSuccess:
                    break;
                case DeleteSnapshotsFailure failed:
                    throw new AlertCheckpointException($"older checkpoints of {id} could not be deleted: {failed.Cause.Message}", failed.Cause);
                default:
                    throw Unexpected(id, reply);
            }
        }
    }

    /// <summary>The persistence id of a partition's checkpoint.</summary>
    public static string PersistenceId(string groupId, SourcePartition partition) =>
        string.Create(CultureInfo.InvariantCulture, $"alert-engine-{groupId}-{partition.Topic}-{partition.Partition}");

    private async Task SaveAtAsync(string id, long epoch, object snapshot, CancellationToken cancellationToken)
    {
        var reply = await AskAsync(new SaveSnapshot(new SnapshotMetadata(id, epoch, time.GetUtcNow().UtcDateTime), snapshot), cancellationToken);
        switch (reply)
        {
            case SaveSnapshotSuccess:
                return;
            case SaveSnapshotFailure failed:
                throw new AlertCheckpointException($"checkpoint {id} could not be stored at epoch {epoch}: {failed.Cause.Message}", failed.Cause);
            default:
                throw Unexpected(id, reply);
        }
    }

    private async Task<object> AskAsync(object request, CancellationToken cancellationToken)
    {
        try
        {
            return await snapshotStore.Ask<object>(request, timeout, cancellationToken);
        }
        catch (AskTimeoutException ex)
        {
            throw new AlertCheckpointException($"the checkpoint store did not answer within {timeout.TotalSeconds:0.#} s", ex);
        }
    }

    private static AlertCheckpointException Unexpected(string id, object reply) =>
        new($"the checkpoint store answered {reply.GetType().Name} for {id}");
}

/// <summary>A partition's checkpoint as loaded, with the epoch of the owner that stored it.</summary>
/// <param name="Checkpoint">The checkpoint, or null when none was stored (or only a claim).</param>
/// <param name="Epoch">The epoch it was stored at; 0 when nothing was.</param>
public sealed record StoredCheckpoint(AlertCheckpoint? Checkpoint, long Epoch);

/// <summary>The checkpoint store failed, or a stored checkpoint cannot be read.</summary>
public sealed class AlertCheckpointException : Exception
{
    public AlertCheckpointException(string message)
        : base(message)
    {
    }

    public AlertCheckpointException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public AlertCheckpointException()
    {
    }
}
