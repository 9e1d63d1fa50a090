namespace Alerting.Persistence;

/// <summary>A snapshot read back from the store: its metadata, manifest and serialized state.</summary>
public sealed record SelectedSnapshot(SnapshotMetadata Metadata, string Manifest, byte[] Payload);
