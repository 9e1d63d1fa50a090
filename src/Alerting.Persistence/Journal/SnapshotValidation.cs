namespace Alerting.Persistence;

/// <summary>Checks a snapshot before it is sent.</summary>
internal static class SnapshotValidation
{
    public static void Validate(SnapshotWrite snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        ArgumentNullException.ThrowIfNull(snapshot.Metadata);
        ArgumentException.ThrowIfNullOrEmpty(snapshot.Metadata.PersistenceId);
        ArgumentException.ThrowIfNullOrEmpty(snapshot.PartitionKey);
        ArgumentException.ThrowIfNullOrEmpty(snapshot.Manifest);
        ArgumentNullException.ThrowIfNull(snapshot.Payload);
        ArgumentOutOfRangeException.ThrowIfNegative(snapshot.Metadata.SequenceNr);
    }
}
