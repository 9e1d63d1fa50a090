using System.Text.Json.Serialization;

namespace Alerting.Dispatch.Messages;

/// <summary>Whether an alert message raises an alert or withdraws it.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<AlertKind>))]
public enum AlertKind
{
    /// <summary>Raise the alert (<c>"generate"</c>).</summary>
    [JsonStringEnumMemberName("generate")]
    Generate,

    /// <summary>Withdraw the alert of the same <c>AlertID</c> (<c>"revoke"</c>).</summary>
    [JsonStringEnumMemberName("revoke")]
    Revoke,

    /// <summary>
    /// Raise the alert of a partial match whose window ran out (<c>"timeout"</c>): handled exactly like a
    /// generate (delay, repeats, priority cover, revokes); the kind tells people what raised it.
    /// </summary>
    [JsonStringEnumMemberName("timeout")]
    Timeout,
}

/// <summary>
/// One record of the alerts topic, produced by the alert application and keyed by device id, in UTF-8 JSON:
/// <code>
/// {
///   "kind": "generate",                  // or "revoke", or "timeout" (a generate raised by a timed-out partial match)
///   "DeviceNumber": "press-17",          // the device; also the record key
///   "AlertType": "OVERHEAT",
///   "AlertID": "9f2c…",                  // deterministic id of the alert; a revoke names the alert it withdraws
///   "AlertTime": "2026-01-01T10:00:00Z", // ISO-8601, when the alert was raised
///   "FaultTime": "2026-01-01T09:59:40Z", // ISO-8601, optional: the event time of the fault
///   "INFO": "free text for people",
///   "Overrides": ["FAN_SLOW"],           // alert types this alert covers while it is open
///   "Delay": 30000,                      // milliseconds to hold before sending; absent or null = the configured default, 0 = at once
///   "ruleId": "overheat-v",
///   "ruleVersion": 3,
///   "priority": 5                        // a larger number is a higher priority
/// }
/// </code>
/// Unknown fields are ignored. A revoke needs only <c>kind</c>, <c>DeviceNumber</c> and <c>AlertID</c>.
/// </summary>
public sealed record AlertMessage
{
    /// <summary>Generate or revoke.</summary>
    [JsonPropertyName("kind")]
    public AlertKind Kind { get; init; }

    /// <summary>The device the alert is about (the seed's <c>DeviceNumber</c>).</summary>
    [JsonPropertyName("DeviceNumber")]
    public required string DeviceNumber { get; init; }

    /// <summary>The alert's type (the seed's <c>AlertType</c>); repeats and covering are judged by type.</summary>
    [JsonPropertyName("AlertType")]
    public string AlertType { get; init; } = "";

    /// <summary>The alert's deterministic id (the seed's <c>AlertID</c>).</summary>
    [JsonPropertyName("AlertID")]
    public required string AlertId { get; init; }

    /// <summary>When the alert was raised.</summary>
    [JsonPropertyName("AlertTime")]
    public DateTimeOffset AlertTime { get; init; }

    /// <summary>Event time of the fault behind the alert, when known.</summary>
    [JsonPropertyName("FaultTime")]
    public DateTimeOffset? FaultTime { get; init; }

    /// <summary>Free text passed on to people (the seed's <c>INFO</c>).</summary>
    [JsonPropertyName("INFO")]
    public string? Info { get; init; }

    /// <summary>Alert types this alert covers while it is open, when its priority is higher than theirs.</summary>
    [JsonPropertyName("Overrides")]
    public IReadOnlyList<string>? Overrides { get; init; }

    /// <summary>How long to hold the alert, in milliseconds; null means the dispatcher's default, 0 sends at once.</summary>
    [JsonPropertyName("Delay")]
    public long? DelayMs { get; init; }

    /// <summary>The rule that raised the alert.</summary>
    [JsonPropertyName("ruleId")]
    public string? RuleId { get; init; }

    /// <summary>The version of that rule.</summary>
    [JsonPropertyName("ruleVersion")]
    public int RuleVersion { get; init; }

    /// <summary>Priority; a larger number is a higher priority.</summary>
    [JsonPropertyName("priority")]
    public int Priority { get; init; }
}
