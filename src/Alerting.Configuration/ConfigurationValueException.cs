namespace Alerting.Configuration;

/// <summary>
/// A configuration value is missing or unusable. The message names the full key, the value and what was
/// expected, e.g. <c>alerting.kafka.linger = "abc" is not a duration (e.g. 5s, 100ms)</c>.
/// </summary>
public sealed class ConfigurationValueException : Exception
{
    /// <summary>Creates the error for <paramref name="key"/>; <paramref name="value"/> is null when the key is missing.</summary>
    public ConfigurationValueException(string key, string? value, string expected)
        : base(value is null ? $"{key} is missing: expected {expected}" : $"{key} = \"{value}\" is not {expected}")
    {
        Key = key;
        Value = value;
        Expected = expected;
    }

    /// <summary>The full HOCON path, e.g. <c>alerting.kafka.linger</c>.</summary>
    public string Key { get; }

    /// <summary>The offending value, or null if the key was missing.</summary>
    public string? Value { get; }

    /// <summary>What the value should have been, e.g. <c>a duration (e.g. 5s, 100ms)</c>.</summary>
    public string Expected { get; }
}
