namespace Alerting.Persistence;

/// <summary>
/// Selects snapshots by bounds on sequence number and timestamp, all inclusive (Akka's
/// <c>SnapshotSelectionCriteria</c>). Loading picks the matching snapshot with the highest sequence number;
/// deleting removes every matching snapshot.
/// </summary>
public sealed record SnapshotSelectionCriteria(
    long MaxSequenceNr,
    DateTimeOffset MaxTimestamp,
    long MinSequenceNr = 0,
    DateTimeOffset? MinTimestamp = null)
{
    /// <summary>Matches every snapshot: load picks the latest.</summary>
    public static SnapshotSelectionCriteria Latest { get; } = new(long.MaxValue, DateTimeOffset.MaxValue);

    /// <summary>Lower timestamp bound, <see cref="DateTimeOffset.MinValue"/> when not set.</summary>
    public DateTimeOffset EffectiveMinTimestamp => MinTimestamp ?? DateTimeOffset.MinValue;
}
