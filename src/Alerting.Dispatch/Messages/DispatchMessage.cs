using System.Text.Json.Serialization;

namespace Alerting.Dispatch.Messages;

/// <summary>What a dispatch record tells people: a new alert, or the withdrawal of one sent before.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<DispatchKind>))]
public enum DispatchKind
{
    /// <summary>An alert to act on (<c>"dispatch"</c>).</summary>
    [JsonStringEnumMemberName("dispatch")]
    Dispatch,

    /// <summary>A dispatched alert is withdrawn (<c>"revoke"</c>).</summary>
    [JsonStringEnumMemberName("revoke")]
    Revoke,
}

/// <summary>
/// One record of the dispatch topic, keyed by device id:
/// <c>{"dispatchId", "kind": "dispatch|revoke", "alertId", "alertType", "deviceId", "priority", "info", "time"}</c>.
/// <see cref="DispatchId"/> is derived from kind, device and alert id only (<see cref="Entity.DispatchIds"/>), so a
/// message re-sent after a crash carries the same id and consumers drop repeats by it.
/// </summary>
public sealed record DispatchMessage(
    [property: JsonPropertyName("dispatchId")] string DispatchId,
    [property: JsonPropertyName("kind")] DispatchKind Kind,
    [property: JsonPropertyName("alertId")] string AlertId,
    [property: JsonPropertyName("alertType")] string AlertType,
    [property: JsonPropertyName("deviceId")] string DeviceId,
    [property: JsonPropertyName("priority")] int Priority,
    [property: JsonPropertyName("info")] string? Info,
    [property: JsonPropertyName("time")] DateTimeOffset Time);
