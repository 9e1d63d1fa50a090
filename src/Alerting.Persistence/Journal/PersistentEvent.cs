namespace Alerting.Persistence;

/// <summary>An event read back from the journal, with the time the store wrote it.</summary>
/// <param name="PersistenceId">The entity's persistence id.</param>
/// <param name="SequenceNr">Sequence number within the persistence id.</param>
/// <param name="Manifest">Type name and version of the payload.</param>
/// <param name="Payload">Serialized event, as written.</param>
/// <param name="Timestamp">When the store wrote it (the store's <see cref="TimeProvider"/>, millisecond precision).</param>
public sealed record PersistentEvent(string PersistenceId, long SequenceNr, string Manifest, byte[] Payload, DateTimeOffset Timestamp);
