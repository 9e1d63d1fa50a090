using System.Text.Json.Serialization;

namespace Alerting.Dispatch.Messages;

/// <summary>Status of the work order opened for a dispatched alert.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<WorkOrderStatus>))]
public enum WorkOrderStatus
{
    /// <summary>People opened a work order for the alert (<c>"opened"</c>).</summary>
    [JsonStringEnumMemberName("opened")]
    Opened,

    /// <summary>The work order is closed (<c>"closed"</c>): the alert is no longer open.</summary>
    [JsonStringEnumMemberName("closed")]
    Closed,
}

/// <summary>
/// One record of the work-order topic, keyed by device id (so it lands on the partition owner of the device):
/// <c>{"deviceId": "press-17", "alertId": "9f2c…", "status": "opened"}</c> (or <c>"closed"</c>). The topic must
/// have as many partitions as the alerts topic and be produced with the same partitioner.
/// </summary>
public sealed record WorkOrderMessage(
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("alertId")] string AlertId,
    [property: JsonPropertyName("status")] WorkOrderStatus Status);
