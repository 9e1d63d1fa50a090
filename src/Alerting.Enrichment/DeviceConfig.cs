namespace Alerting.Enrichment;

/// <summary>
/// The configuration of one device as the lookup join sees it: the <c>device_config</c> row (version, alert
/// level, info) joined with the <c>device_sla</c> row (SLA info and <see cref="Overrides"/>, the alert types an
/// alert on this device covers, which the dispatcher uses for priority). A device with no row in either table
/// gets <see cref="Defaults(string)"/>, marked by <see cref="IsDefault"/>; a device with only one of the two
/// rows gets the default values for the other table's columns. Equality compares the overrides element-wise.
/// </summary>
/// <param name="DeviceId">The device's id (the tables' primary key).</param>
/// <param name="Version">The configuration version (0 when the device has no <c>device_config</c> row).</param>
/// <param name="Level">The device's alert level (0 when it has no <c>device_config</c> row).</param>
/// <param name="Info">Free-form configuration info, or null.</param>
/// <param name="SlaInfo">Free-form SLA info, or null (also when the device has no <c>device_sla</c> row).</param>
/// <param name="Overrides">The alert types an alert on this device covers; empty when none.</param>
public sealed record DeviceConfig(string DeviceId, int Version, int Level, string? Info, string? SlaInfo, IReadOnlyList<string> Overrides)
{
    /// <summary>True for the value given to a device that has no row in either table.</summary>
    public bool IsDefault { get; init; }

    /// <summary>The configuration of a device that has no row: version 0, level 0, no info, no overrides.</summary>
    public static DeviceConfig Defaults(string deviceId) => new(deviceId, 0, 0, null, null, []) { IsDefault = true };

    /// <summary>True when <paramref name="alertType"/> is one of the <see cref="Overrides"/> (ordinal comparison).</summary>
    public bool Covers(string alertType)
    {
        foreach (var covered in Overrides)
        {
            if (string.Equals(covered, alertType, StringComparison.Ordinal))
            {
                return true;
            }
        }
        return false;
    }

    /// <inheritdoc />
    public bool Equals(DeviceConfig? other) =>
        other is not null &&
        string.Equals(DeviceId, other.DeviceId, StringComparison.Ordinal) &&
        Version == other.Version &&
        Level == other.Level &&
        string.Equals(Info, other.Info, StringComparison.Ordinal) &&
        string.Equals(SlaInfo, other.SlaInfo, StringComparison.Ordinal) &&
        IsDefault == other.IsDefault &&
        Overrides.SequenceEqual(other.Overrides, StringComparer.Ordinal);

    /// <inheritdoc />
    public override int GetHashCode() => HashCode.Combine(DeviceId, Version, Level, Info, SlaInfo, IsDefault, Overrides.Count);

    /// <inheritdoc />
    public override string ToString() =>
        $"DeviceConfig {{ DeviceId = {DeviceId}, Version = {Version}, Level = {Level}, Info = {Info}, SlaInfo = {SlaInfo}, " +
        $"Overrides = [{string.Join(", ", Overrides)}], IsDefault = {IsDefault} }}";
}
