using System.Globalization;
using System.Text;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Sharding;

/// <summary>What a record of the alerts or work-order topic is for the dispatcher: a device's command, or a dead letter.</summary>
/// <param name="DeviceId">The device (null for a dead letter that names none).</param>
/// <param name="Command">The command for the device's entity; null for a dead letter.</param>
/// <param name="Reason">The dead-letter reason (<see cref="DispatchRecords"/>' constants); null for a command.</param>
/// <param name="Message">What is wrong, for people; null for a command.</param>
public readonly record struct DispatchRecord(string? DeviceId, IDeviceCommand? Command, string? Reason, string? Message)
{
    /// <summary>Whether the record goes to the dead-letter topic.</summary>
    public bool IsDeadLetter => Command is null;
}

/// <summary>
/// Reads the records of the alerts and work-order topics into device commands, with limits: a record that cannot be
/// read, a device id past <see cref="DispatchShardingSettings.MaxDeviceIdBytes"/> and a <c>Delay</c> past
/// <see cref="DispatchShardingSettings.MaxDelay"/> (or negative) are dead letters with their reason. Plain C#.
/// </summary>
public static class DispatchRecords
{
    /// <summary>The alerts-topic record is not an alert message.</summary>
    public const string MalformedAlert = "malformed_alert";

    /// <summary>The work-order record is not a work-order message.</summary>
    public const string MalformedWorkOrder = "malformed_work_order";

    /// <summary>The device id is longer than the limit.</summary>
    public const string DeviceIdTooLong = "device_id_too_long";

    /// <summary>The alert's <c>Delay</c> is negative or longer than the limit.</summary>
    public const string DelayOutOfRange = "delay_out_of_range";

    /// <summary>The device's journal rejected the command's events (they cannot be stored, e.g. not serializable): retrying cannot help.</summary>
    public const string PersistRejected = "persist_rejected";

    /// <summary>Reads an alerts-topic record (<paramref name="isAlert"/>) or a work-order record.</summary>
    public static DispatchRecord Read(string? value, bool isAlert, DispatchShardingSettings limits)
    {
        ArgumentNullException.ThrowIfNull(limits);
        if (isAlert)
        {
            var alert = value is null ? null : DispatchJson.ParseAlert(value);
            if (alert is null || string.IsNullOrEmpty(alert.DeviceNumber) || string.IsNullOrEmpty(alert.AlertId))
            {
                return new DispatchRecord(alert?.DeviceNumber, null, MalformedAlert, "not an alert record: JSON with kind, DeviceNumber and AlertID");
            }
            if (TooLong(alert.DeviceNumber, limits) is { } tooLong)
            {
                return tooLong;
            }
            if (alert.Kind is AlertKind.Generate or AlertKind.Timeout && alert.DelayMs is { } delay
                && (delay < 0 || delay > limits.MaxDelay.TotalMilliseconds))
            {
                return new DispatchRecord(alert.DeviceNumber, null, DelayOutOfRange, string.Create(CultureInfo.InvariantCulture,
                    $"Delay {delay} ms is outside 0..{(long)limits.MaxDelay.TotalMilliseconds} ms"));
            }
            return new DispatchRecord(alert.DeviceNumber, new AlertCommand(alert), null, null);
        }

        var workOrder = value is null ? null : DispatchJson.ParseWorkOrder(value);
        if (workOrder is null || string.IsNullOrEmpty(workOrder.DeviceId) || string.IsNullOrEmpty(workOrder.AlertId))
        {
            return new DispatchRecord(workOrder?.DeviceId, null, MalformedWorkOrder, "not a work-order record: JSON with deviceId, alertId and status");
        }
        return TooLong(workOrder.DeviceId, limits)
            ?? new DispatchRecord(workOrder.DeviceId, new WorkOrderCommand(workOrder.AlertId, workOrder.Status), null, null);
    }

    private static DispatchRecord? TooLong(string deviceId, DispatchShardingSettings limits)
    {
        var bytes = Encoding.UTF8.GetByteCount(deviceId);
        return bytes > limits.MaxDeviceIdBytes
            ? new DispatchRecord(null, null, DeviceIdTooLong, string.Create(CultureInfo.InvariantCulture,
                $"device id of {bytes} bytes is longer than {limits.MaxDeviceIdBytes}"))
            : null;
    }
}
