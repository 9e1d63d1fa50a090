namespace Alerting.Persistence;

/// <summary>
/// A snapshot to save. Saving again at the same persistence id and sequence number overwrites the earlier one.
/// </summary>
/// <param name="Metadata">Persistence id, sequence number of the last included event, and timestamp.</param>
/// <param name="PartitionKey">Groups persistence ids for bulk recovery; should match the events' partition key.</param>
/// <param name="Manifest">Type name and version of the state.</param>
/// <param name="Payload">Serialized state.</param>
public sealed record SnapshotWrite(SnapshotMetadata Metadata, string PartitionKey, string Manifest, byte[] Payload);
