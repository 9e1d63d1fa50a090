using System.Globalization;

namespace Alerting.Enrichment;

/// <summary>
/// Generates device configurations for the demo (seeded with <see cref="IDeviceConfigStore.UpsertAsync"/>):
/// deterministic for a given count and alert-type list, so every run of the demo sees the same devices.
/// </summary>
public static class DeviceConfigGenerator
{
    /// <summary>
    /// Configurations of devices <c>{idPrefix}0</c> … <c>{idPrefix}{count-1}</c>: version 1, level cycling 1–5,
    /// a production line in the info; every second device has an SLA whose overrides are the alert types that
    /// follow its "own" type in <paramref name="alertTypes"/> (so higher levels cover more types).
    /// </summary>
    public static IReadOnlyList<DeviceConfig> Generate(int count, IReadOnlyList<string> alertTypes, string idPrefix = "device-")
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentNullException.ThrowIfNull(alertTypes);
        ArgumentNullException.ThrowIfNull(idPrefix);
        var result = new DeviceConfig[count];
        for (var i = 0; i < count; i++)
        {
            var level = (i % 5) + 1;
            var hasSla = i % 2 == 0;
            var overrides = hasSla && alertTypes.Count > 0
                ? alertTypes.Skip(i % alertTypes.Count).Take(Math.Min(level, alertTypes.Count)).ToArray()
                : [];
            result[i] = new DeviceConfig(
                idPrefix + i.ToString(CultureInfo.InvariantCulture),
                1,
                level,
                string.Create(CultureInfo.InvariantCulture, $"line-{i % 10}"),
                hasSla ? string.Create(CultureInfo.InvariantCulture, $"sla-tier-{level}") : null,
                overrides);
        }
        return result;
    }
}
