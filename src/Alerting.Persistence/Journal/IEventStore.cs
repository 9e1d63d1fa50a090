namespace Alerting.Persistence;

/// <summary>
/// Event journal, snapshot store and consumer-offset store in one database (the role of Akka.Persistence.Sql):
/// durable per-entity state, written in batches that may span many persistence ids, and recovered for a whole
/// partition at once. Implementations: <see cref="Postgres.PostgresEventStore"/> and <see cref="Sqlite.SqliteEventStore"/>.
/// </summary>
public interface IEventStore
{
    /// <summary>
    /// Appends <paramref name="events"/> (any number of persistence ids) and upserts <paramref name="offsets"/> in
    /// one database transaction: either all of it is stored or none of it. A (persistence id, sequence number)
    /// already in the journal fails the whole call with <see cref="JournalConcurrencyException"/>; an invalid
    /// event (empty id, manifest or partition key, sequence number below 1, duplicate in the batch) fails it with
    /// <see cref="ArgumentException"/> before anything is sent.
    /// </summary>
    Task WriteAsync(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets, CancellationToken cancellationToken);

    /// <summary>
    /// Streams the events of <paramref name="persistenceId"/> with <paramref name="fromSequenceNr"/> ≤ sequence
    /// number ≤ <paramref name="toSequenceNr"/> in order, at most <paramref name="max"/> of them; deleted events are
    /// skipped.
    /// </summary>
    IAsyncEnumerable<PersistentEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max, CancellationToken cancellationToken);

    /// <summary>The highest sequence number ever written for <paramref name="persistenceId"/> (deletes do not lower it); 0 if none.</summary>
    Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken);

    /// <summary>
    /// Deletes the events of <paramref name="persistenceId"/> up to and including <paramref name="toSequenceNr"/>.
    /// The highest sequence number stays as it was and still fences writers.
    /// </summary>
    Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken);

    /// <summary>The stored next offsets of <paramref name="groupId"/> for <paramref name="topic"/>, by partition.</summary>
    Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken);

    /// <summary>Saves a snapshot; one at the same persistence id and sequence number is overwritten.</summary>
    Task SaveSnapshotAsync(SnapshotWrite snapshot, CancellationToken cancellationToken);

    /// <summary>The matching snapshot with the highest sequence number, or null.</summary>
    Task<SelectedSnapshot?> LoadSnapshotAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken);

    /// <summary>Deletes every snapshot of <paramref name="persistenceId"/> matching <paramref name="criteria"/>.</summary>
    Task DeleteSnapshotsAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken);

    /// <summary>
    /// Streams, for every persistence id of <paramref name="partitionKey"/>, its latest snapshot and the events after
    /// it, in two queries: one for the partition's latest snapshots (held in memory), one streaming the later events
    /// ordered by persistence id and sequence number. Entities with events come first, in the order of the stream;
    /// entities with only a snapshot follow.
    /// </summary>
    IAsyncEnumerable<RecoveredEntity> RecoverPartitionAsync(string partitionKey, CancellationToken cancellationToken);
}
