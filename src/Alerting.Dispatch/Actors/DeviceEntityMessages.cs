using Alerting.Dispatch.Entity;

namespace Alerting.Dispatch.Actors;

/// <summary>
/// The reply of a device entity to an <see cref="AlertCommand"/>, <see cref="WorkOrderCommand"/> or
/// <see cref="OutboxAcknowledged"/>: sent only once the command's events are persisted, so the sender may commit
/// the command's offset. A command that caused no events is acknowledged at once.
/// </summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Events">What was decided and persisted (empty when nothing changed).</param>
/// <param name="Ignored">Why the command changed nothing, when it did not.</param>
public sealed record DeviceCommandAck(string DeviceId, IReadOnlyList<IDeviceEvent> Events, DropReason? Ignored);

/// <summary>
/// The stop message of a device entity (also its hand-off stop message under sharding). A quiet entity stops; one
/// that holds an alert or an unconfirmed dispatch stays up and stops as soon as it is quiet.
/// </summary>
public sealed record StopDeviceEntity
{
    /// <summary>The one instance.</summary>
    public static StopDeviceEntity Instance { get; } = new();
}

/// <summary>
/// What a device entity answers a command with when the command's events could not be written to the journal (the
/// write failed or was rejected); the entity stops. A failed write may succeed when the command is sent again; a
/// rejected one (<paramref name="Rejected"/>: the journal refused these events, e.g. they cannot be serialized) never
/// will. A plain message, so it crosses nodes with the device messages' serializer (an exception would lose its type
/// on the way).
/// </summary>
/// <param name="DeviceId">The device whose events were not written.</param>
/// <param name="Reason">Why, as the journal said it.</param>
/// <param name="Rejected">The journal rejected the events rather than failed to write them.</param>
public sealed record DeviceCommandFailed(string DeviceId, string Reason, bool Rejected = false);

/// <summary>
/// The failure of a command whose device entity answered <see cref="DeviceCommandFailed"/>: its events were not
/// written to the journal; the command may be sent again.
/// </summary>
public sealed class DeviceJournalWriteException : Exception
{
    /// <summary>The events of a command for <paramref name="deviceId"/> were not written, for <paramref name="reason"/>.</summary>
    public DeviceJournalWriteException(string deviceId, string reason)
        : base($"The journal write of device {deviceId} failed: {reason}")
    {
        DeviceId = deviceId;
    }

    /// <summary>The device whose events were not written.</summary>
    public string DeviceId { get; } = "";
}
