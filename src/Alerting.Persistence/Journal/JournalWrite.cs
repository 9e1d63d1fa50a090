namespace Alerting.Persistence;

/// <summary>
/// One event to append: the persistence id it belongs to, the partition key that groups persistence ids for bulk
/// recovery (e.g. <c>"alerts-3"</c> for Kafka topic <c>alerts</c>, partition 3), its sequence number (1-based,
/// one higher than the entity's previous event), the manifest naming its type and version, and its serialized bytes.
/// </summary>
/// <param name="PersistenceId">The entity's persistence id (e.g. <c>"device-42"</c>); not empty.</param>
/// <param name="PartitionKey">Groups persistence ids for <see cref="IEventStore.RecoverPartitionAsync"/>; not empty.</param>
/// <param name="SequenceNr">Sequence number of the event within its persistence id, at least 1.</param>
/// <param name="Manifest">Type name and version of the payload (see <see cref="EventManifest"/>); not empty.</param>
/// <param name="Payload">Serialized event.</param>
public sealed record JournalWrite(string PersistenceId, string PartitionKey, long SequenceNr, string Manifest, byte[] Payload);
