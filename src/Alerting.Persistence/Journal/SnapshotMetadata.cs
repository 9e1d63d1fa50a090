namespace Alerting.Persistence;

/// <summary>Identifies a snapshot: the persistence id, the sequence number of the last event it includes, and when it was taken.</summary>
public sealed record SnapshotMetadata(string PersistenceId, long SequenceNr, DateTimeOffset Timestamp);
