namespace Alerting.Enrichment;

/// <summary>Row handling shared by the stores.</summary>
internal static class DeviceConfigRows
{
    /// <summary>The configurations with one per device id, the last one of a repeated id winning, in first-seen order.</summary>
    public static IEnumerable<DeviceConfig> LastWins(IEnumerable<DeviceConfig> configs)
    {
        var byId = new Dictionary<string, DeviceConfig>(StringComparer.Ordinal);
        foreach (var config in configs)
        {
            ArgumentNullException.ThrowIfNull(config);
            byId[config.DeviceId] = config;
        }
        return byId.Values;
    }
}
