using System.Globalization;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;

namespace Alerting.Service.Web;

/// <summary>
/// Publishes the device entities' decisions into the <see cref="FeedHub"/>: held (with the time its delay ends),
/// dispatched, cancelled by its revoke, revoke sent, and not passed on (with the reason: a repeat, an open alert of the
/// same type, covered by a higher priority, a revoke of nothing open). Work-order updates and outbox bookkeeping are
/// left out. Never blocks: the hub drops what it cannot take.
/// </summary>
public sealed class FeedDispatchObserver(FeedHub hub) : IDispatchObserver
{
    public void Persisted(string deviceId, IDeviceEvent e)
    {
        switch (e)
        {
            case AlertHeld held:
                hub.Publish(FeedKind.Held, deviceId, null, held.Alert.AlertId, held.Alert.AlertType, held.Alert.AlertTime.ToUnixTimeMilliseconds(),
                    "held until " + held.DueAt.UtcDateTime.ToString("HH:mm:ss.fff", CultureInfo.InvariantCulture));
                break;
            case AlertDispatched sent:
                hub.Publish(FeedKind.Dispatch, deviceId, null, sent.Alert.AlertId, sent.Alert.AlertType, sent.Alert.AlertTime.ToUnixTimeMilliseconds(),
                    "dispatched: no revoke within its delay, not a repeat, not covered; priority " + sent.Alert.Priority.ToString(CultureInfo.InvariantCulture));
                break;
            case AlertCancelled cancelled:
                hub.Publish(FeedKind.Cancel, deviceId, null, cancelled.AlertId, null, null, "cancelled by its revoke while held");
                break;
            case AlertRevoked revoked:
                hub.Publish(FeedKind.RevokeSent, deviceId, null, revoked.AlertId, null, null, "revoke sent: the alert was dispatched and its work order not closed");
                break;
            case AlertDropped dropped:
                hub.Publish(FeedKind.Drop, deviceId, null, dropped.AlertId, null, null, Why(dropped.Reason));
                break;
        }
    }

    public void Ignored(string deviceId, IDeviceCommand command, DropReason reason)
    {
        if (command is AlertCommand alert)
        {
            hub.Publish(FeedKind.Drop, deviceId, null, alert.Message.AlertId, alert.Message.AlertType, alert.Message.AlertTime.ToUnixTimeMilliseconds(), Why(reason));
        }
    }

    /// <summary>The reason, in words.</summary>
    public static string Why(DropReason reason) => reason switch
    {
        DropReason.Duplicate => "repeat: this alert id was seen before",
        DropReason.AlreadyOpen => "repeat: an alert of the same type is open",
        DropReason.Covered => "covered by an open alert of higher priority",
        DropReason.RevokeNotOpen => "revoke of an alert neither held nor open",
        DropReason.StaleWorkOrder => "stale work-order update",
        _ => reason.ToString(),
    };
}
