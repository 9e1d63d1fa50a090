using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Entity;

/// <summary>The parts of a generated alert a device entity keeps.</summary>
/// <param name="AlertId">The alert's id.</param>
/// <param name="AlertType">Its type: repeats and covering are judged by type.</param>
/// <param name="Priority">A larger number is a higher priority.</param>
/// <param name="Overrides">Alert types it covers while open.</param>
/// <param name="Info">Free text for people.</param>
/// <param name="AlertTime">When it was raised.</param>
public sealed record AlertRecord(string AlertId, string AlertType, int Priority, IReadOnlyList<string> Overrides, string? Info, DateTimeOffset AlertTime)
{
    /// <summary>The record of a generate message.</summary>
    public static AlertRecord From(AlertMessage message)
    {
        ArgumentNullException.ThrowIfNull(message);
        return new AlertRecord(message.AlertId, message.AlertType, message.Priority, message.Overrides ?? [], message.Info, message.AlertTime);
    }

    /// <summary>Whether this alert, open, covers <paramref name="other"/>: higher priority and its type in <see cref="Overrides"/>.</summary>
    public bool Covers(AlertRecord other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return Priority > other.Priority && Overrides.Contains(other.AlertType, StringComparer.Ordinal);
    }
}

/// <summary>Why the dispatcher did not pass an alert (or a revoke, or a work-order update) on.</summary>
public enum DropReason
{
    /// <summary>The alert id was already held, open or finished on this device: a repeat of the same record.</summary>
    Duplicate,

    /// <summary>An alert of the same type is open on the device (dispatched, its work order not closed).</summary>
    AlreadyOpen,

    /// <summary>An open alert of higher priority lists this alert's type in its overrides.</summary>
    Covered,

    /// <summary>A revoke of an alert that is neither held nor open: never dispatched, already revoked, or its work order closed.</summary>
    RevokeNotOpen,

    /// <summary>A work-order update for an alert that is not open on the device, or that repeats the known status.</summary>
    StaleWorkOrder,
}

/// <summary>A persisted event of a device entity: the only way its state changes.</summary>
public interface IDeviceEvent;

/// <summary>A generated alert is held until <paramref name="DueAt"/>.</summary>
public sealed record AlertHeld(AlertRecord Alert, DateTimeOffset DueAt) : IDeviceEvent;

/// <summary>The alert is sent: it becomes open and its dispatch message enters the outbox.</summary>
public sealed record AlertDispatched(AlertRecord Alert, string DispatchId, DateTimeOffset Time) : IDeviceEvent;

/// <summary>The alert will not be sent (repeat of an open type, or covered); a held one is released.</summary>
public sealed record AlertDropped(string AlertId, DropReason Reason) : IDeviceEvent;

/// <summary>A revoke arrived while the alert was held: both are cancelled, nothing is sent.</summary>
public sealed record AlertCancelled(string AlertId) : IDeviceEvent;

/// <summary>A dispatched alert is withdrawn: it is no longer open and its revoke message enters the outbox.</summary>
public sealed record AlertRevoked(string AlertId, string DispatchId, DateTimeOffset Time) : IDeviceEvent;

/// <summary>A work order was opened for the open alert.</summary>
public sealed record WorkOrderOpened(string AlertId) : IDeviceEvent;

/// <summary>The work order of the alert is closed: the alert is no longer open.</summary>
public sealed record WorkOrderClosed(string AlertId) : IDeviceEvent;

/// <summary>The outbox messages with these dispatch ids were acknowledged by Kafka.</summary>
public sealed record OutboxDelivered(IReadOnlyList<string> DispatchIds) : IDeviceEvent;

/// <summary>An alert being held, and when its delay ends.</summary>
public sealed record PendingAlert(AlertRecord Alert, DateTimeOffset DueAt);

/// <summary>A dispatched alert whose work order is not closed, with its dispatch id.</summary>
public sealed record OpenAlert(AlertRecord Alert, string DispatchId, bool WorkOrderOpened);

/// <summary>The whole state of a device entity, as stored in a snapshot.</summary>
public sealed record DeviceSnapshot(
    string DeviceId,
    IReadOnlyList<PendingAlert> Pending,
    IReadOnlyList<OpenAlert> Open,
    IReadOnlyList<DispatchMessage> Outbox,
    IReadOnlyList<string> Finished);
