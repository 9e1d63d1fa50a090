using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Entity;

/// <summary>Input to a device entity; <see cref="DeviceEntityState.Decide"/> turns it into events.</summary>
public interface IDeviceCommand;

/// <summary>A generate or revoke record from the alerts topic.</summary>
public sealed record AlertCommand(AlertMessage Message) : IDeviceCommand;

/// <summary>A record from the work-order topic.</summary>
public sealed record WorkOrderCommand(string AlertId, WorkOrderStatus Status) : IDeviceCommand;

/// <summary>The clock passed the due time of one or more held alerts.</summary>
public sealed record DelayElapsed : IDeviceCommand
{
    /// <summary>The one instance.</summary>
    public static DelayElapsed Instance { get; } = new();
}

/// <summary>Kafka acknowledged the outbox messages with these dispatch ids.</summary>
public sealed record OutboxAcknowledged(IReadOnlyList<string> DispatchIds) : IDeviceCommand;

/// <summary>
/// The events a command causes (to persist, then apply) and, when it causes none, why it was ignored.
/// </summary>
public readonly record struct Decision(IReadOnlyList<IDeviceEvent> Events, DropReason? Ignored)
{
    /// <summary>No events, nothing ignored.</summary>
    public static Decision None { get; } = new([], null);

    /// <summary>No events because of <paramref name="reason"/>.</summary>
    public static Decision Ignore(DropReason reason) => new([], reason);

    /// <summary>Just these events.</summary>
    public static Decision Of(params IDeviceEvent[] events) => new(events, null);
}
