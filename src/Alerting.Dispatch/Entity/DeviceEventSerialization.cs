using Alerting.Dispatch.Messages;
using Alerting.Persistence;

namespace Alerting.Dispatch.Entity;

/// <summary>
/// The <see cref="EventSerializer"/> registrations of the device entity: every <see cref="IDeviceEvent"/> and the
/// <see cref="DeviceSnapshot"/>, under stable names (<c>dispatch.AlertHeld:1</c>, …).
/// </summary>
public static class DeviceEventSerialization
{
    /// <summary>A serializer with the device entity's events and snapshot registered.</summary>
    public static EventSerializer Create()
    {
        var c = DispatchJsonContext.Default;
        return new EventSerializer()
            .Register("dispatch.AlertHeld", 1, c.AlertHeld)
            .Register("dispatch.AlertDispatched", 1, c.AlertDispatched)
            .Register("dispatch.AlertDropped", 1, c.AlertDropped)
            .Register("dispatch.AlertCancelled", 1, c.AlertCancelled)
            .Register("dispatch.AlertRevoked", 1, c.AlertRevoked)
            .Register("dispatch.WorkOrderOpened", 1, c.WorkOrderOpened)
            .Register("dispatch.WorkOrderClosed", 1, c.WorkOrderClosed)
            .Register("dispatch.OutboxDelivered", 1, c.OutboxDelivered)
            .Register("dispatch.DeviceSnapshot", 1, c.DeviceSnapshot);
    }
}
