namespace Alerting.Persistence;

/// <summary>
/// What bulk recovery yields per persistence id of a partition: its latest snapshot (if any) and the events
/// after it in sequence order. Applying <see cref="Snapshot"/> then <see cref="Events"/> gives the same state as
/// replaying the persistence id from its latest snapshot.
/// </summary>
public sealed record RecoveredEntity(string PersistenceId, SelectedSnapshot? Snapshot, IReadOnlyList<PersistentEvent> Events)
{
    /// <summary>Sequence number the entity has reached: its last event's, else its snapshot's, else 0.</summary>
    public long HighestSequenceNr => Events.Count > 0 ? Events[^1].SequenceNr : Snapshot?.Metadata.SequenceNr ?? 0;
}
