namespace Alerting.Rules;

/// <summary>
/// What a checkpoint of one source partition needs from its match stage, taken between two elements: the
/// matcher's snapshot of the partition's devices, the watermark it had released events up to, the next offset
/// it had taken (<see cref="Position"/>) and the offset to read again from after a restore (<see cref="Resume"/>:
/// the oldest offset of an event still waiting for the watermark, which a snapshot leaves out, else
/// <see cref="Position"/>).
/// </summary>
/// <param name="Partition">The source partition.</param>
/// <param name="Resume">The offset to read from after a restore.</param>
/// <param name="Position">One past the offset of the last event of the partition the stage took.</param>
/// <param name="ReleasedUpTo">The matcher's watermark (Unix ms): events at or before it were matched.</param>
/// <param name="EngineState">The matcher's snapshot of the partition's devices (<see cref="RuleEngine.SnapshotPartitions"/>).</param>
public sealed record PartitionMatchSnapshot(SourcePartition Partition, long Resume, long Position, long ReleasedUpTo, byte[] EngineState)
{
    /// <summary>
    /// How many elements the stage had generated for its outlets when the snapshot was taken (alerts and refused
    /// events, over all partitions of the stage, including those not yet pushed): once that many have been handled
    /// downstream (e.g. acknowledged by Kafka), nothing the snapshot reflects is still in flight.
    /// </summary>
    public long Generated { get; init; }

    /// <summary>The live rule-set version in force when the snapshot was taken (0: the base set, or no live rule sets).</summary>
    public long RulesVersion { get; init; }
}

/// <summary>The materialized value of a <see cref="PartitionMatchStage"/>: asks the running stage for checkpoint material.</summary>
public interface IPartitionMatchControl
{
    /// <summary>
    /// Snapshots every source partition the stage has taken an event of (one with an offset), between two elements
    /// on the stage's own thread; the bytes are the caller's to store while the stream goes on. A partition restored
    /// from a checkpoint and silent since is left out until its first event: it keeps its previous checkpoint (an
    /// absence alert a timer fired meanwhile is raised again after a restore, with the same id). Fails with
    /// <see cref="InvalidOperationException"/> when the stage has stopped (or stops before answering); cancelling
    /// abandons the wait, not the snapshot.
    /// </summary>
    Task<IReadOnlyList<PartitionMatchSnapshot>> SnapshotAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// What the stage's matcher holds for one device (<see cref="RuleEngine.Inspect"/>), taken between two elements on
    /// the stage's own thread. Fails with <see cref="InvalidOperationException"/> when the stage has stopped (or stops
    /// before answering); cancelling abandons the wait.
    /// </summary>
    Task<DeviceInspection> InspectAsync(string deviceId, CancellationToken cancellationToken = default);

    /// <summary>Completes when the stage has stopped, whichever way.</summary>
    Task Stopped { get; }

    /// <summary>
    /// The snapshot the stage takes when upstream completes (a stop, a revocation), after the last element and
    /// before it completes: what a final checkpoint stores. Fails when the stage stops any other way (failure,
    /// cancellation) or when it was built to flush on completion (its state is then spent).
    /// </summary>
    Task<IReadOnlyList<PartitionMatchSnapshot>> FinalSnapshot { get; }
}
