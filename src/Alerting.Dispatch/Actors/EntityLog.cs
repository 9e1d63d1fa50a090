using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Actors;

/// <summary>Log messages of the device entities (event ids 41xx).</summary>
internal static partial class EntityLog
{
    [LoggerMessage(EventId = LogEvents.DeviceEntityPersistFailed, Level = LogLevel.Error,
        Message = "device {PersistenceId}: journal write of {EventType} (sequence {SequenceNr}) failed; the command is answered with the failure (never acknowledged), the entity stops and the command is retried")]
    public static partial void PersistFailed(ILogger logger, Exception exception, string persistenceId, string eventType, long sequenceNr);

    [LoggerMessage(EventId = LogEvents.DeviceEntityPersistRejected, Level = LogLevel.Error,
        Message = "device {PersistenceId}: journal rejected {EventType} (sequence {SequenceNr}); the entity stops unacknowledged")]
    public static partial void PersistRejected(ILogger logger, Exception exception, string persistenceId, string eventType, long sequenceNr);

    [LoggerMessage(EventId = LogEvents.DeviceEntityRecoveryFailed, Level = LogLevel.Error,
        Message = "device {PersistenceId}: recovery failed; the entity stops")]
    public static partial void RecoveryFailed(ILogger logger, Exception exception, string persistenceId);

    [LoggerMessage(EventId = LogEvents.DeviceEntitySnapshotFailed, Level = LogLevel.Warning,
        Message = "device {PersistenceId}: snapshot at sequence {SequenceNr} not saved; events are kept and the next snapshot is tried later")]
    public static partial void SnapshotFailed(ILogger logger, Exception exception, string persistenceId, long sequenceNr);

    [LoggerMessage(EventId = LogEvents.DeviceEntityDeleteEventsFailed, Level = LogLevel.Warning,
        Message = "device {PersistenceId}: deleting events up to {SequenceNr} failed; they stay in the journal")]
    public static partial void DeleteEventsFailed(ILogger logger, Exception exception, string persistenceId, long sequenceNr);

    [LoggerMessage(EventId = LogEvents.DeviceEntityDeleteSnapshotsFailed, Level = LogLevel.Warning,
        Message = "device {PersistenceId}: deleting old snapshots failed; they stay in the store")]
    public static partial void DeleteSnapshotsFailed(ILogger logger, Exception exception, string persistenceId);
}
