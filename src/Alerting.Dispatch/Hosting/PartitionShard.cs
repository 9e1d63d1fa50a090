using Alerting.Dispatch.Entity;
using Alerting.Persistence;

namespace Alerting.Dispatch.Hosting;

/// <summary>One live device entity: its state, where it is in the journal, and its outbox messages in flight.</summary>
internal sealed class DeviceEntity(string deviceId, DeviceEntityState state, long sequenceNr, long snapshotSequenceNr)
{
    public const string PersistenceIdPrefix = "dispatch-device-";

    public string DeviceId { get; } = deviceId;

    public string PersistenceId { get; } = PersistenceIdPrefix + deviceId;

    public DeviceEntityState State { get; } = state;

    public long SequenceNr { get; set; } = sequenceNr;

    public long SnapshotSequenceNr { get; set; } = snapshotSequenceNr;

    public DateTimeOffset LastUsed { get; set; }

    /// <summary>Dispatch ids handed to the producer and not yet acknowledged or failed.</summary>
    public HashSet<string> InFlight { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The entities of one owned partition of the alerts topic (and the same partition of the work-order topic), the
/// next offsets of both, and the journal writes of the batch in progress.
/// </summary>
internal sealed class PartitionShard(int partition, string partitionKey)
{
    public int Partition { get; } = partition;

    /// <summary>Journal partition key of the shard's entities, e.g. <c>alerts-3</c>.</summary>
    public string PartitionKey { get; } = partitionKey;

    public Dictionary<string, DeviceEntity> Entities { get; } = new(StringComparer.Ordinal);

    /// <summary>Devices with journal entries that are not in memory (passivated, or never loaded).</summary>
    public HashSet<string> Passivated { get; } = new(StringComparer.Ordinal);

    public long NextAlertOffset { get; set; }

    public long NextWorkOrderOffset { get; set; }

    public bool OffsetsChanged { get; set; }

    public List<JournalWrite> Writes { get; } = [];

    /// <summary>Entities whose state changed in the batch, or whose outbox needs (re)sending.</summary>
    public HashSet<DeviceEntity> Touched { get; } = [];
}

/// <summary>A partition of the alerts topic was taken (<see cref="Owned"/>) or given up by a <see cref="DispatchHost"/>.</summary>
public sealed class PartitionOwnershipChangedEventArgs(int partition, bool owned) : EventArgs
{
    /// <summary>The alerts-topic partition.</summary>
    public int Partition { get; } = partition;

    /// <summary>True when the host took the partition (entities recovered), false when it released it.</summary>
    public bool Owned { get; } = owned;
}
