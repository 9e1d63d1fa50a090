using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Tests;

/// <summary>Alert messages for tests.</summary>
internal static class Alerts
{
    public static readonly DateTimeOffset Time = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static AlertMessage Generate(string device, string id, string type, int priority, long? delayMs, IReadOnlyList<string> overrides) => new()
    {
        Kind = AlertKind.Generate,
        DeviceNumber = device,
        AlertId = id,
        AlertType = type,
        Priority = priority,
        DelayMs = delayMs,
        Overrides = overrides,
        AlertTime = Time,
        Info = "info " + id,
        RuleId = "rule-" + type,
        RuleVersion = 1,
    };

    public static AlertMessage Revoke(string device, string id) => new()
    {
        Kind = AlertKind.Revoke,
        DeviceNumber = device,
        AlertId = id,
        AlertTime = Time,
    };
}
