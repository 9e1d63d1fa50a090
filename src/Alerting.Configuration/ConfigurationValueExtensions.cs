using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Alerting.Configuration;

/// <summary>
/// Typed, validated reads of configuration values for binding settings once at start-up. Keys are relative
/// to the configuration or section they are called on; errors name the full key (section path + key).
/// A missing key, a null value or an empty/blank string counts as absent and yields the default.
/// Numbers are read with the invariant culture; durations and sizes use the HOCON formats
/// (<see cref="HoconDuration"/>, <see cref="HoconSize"/>), so <c>"5s"</c> and <c>"512k"</c> work from any source.
/// </summary>
public static class ConfigurationValueExtensions
{
    /// <summary>The string at <paramref name="key"/>; throws <see cref="ConfigurationValueException"/> if it is absent.</summary>
    public static string GetRequiredString(this IConfiguration configuration, string key) =>
        Read(configuration, key) ?? throw new ConfigurationValueException(FullKey(configuration, key), null, "a non-empty string");

    /// <summary>The string at <paramref name="key"/>, or <paramref name="defaultValue"/> if absent.</summary>
    public static string GetString(this IConfiguration configuration, string key, string defaultValue) =>
        Read(configuration, key) ?? defaultValue;

    /// <summary>The duration at <paramref name="key"/> (e.g. <c>5s</c>; a bare number is milliseconds), or <paramref name="defaultValue"/>.</summary>
    public static TimeSpan GetDuration(this IConfiguration configuration, string key, TimeSpan defaultValue) =>
        Convert(configuration, key, defaultValue, HoconDuration.Expected, (string s, out TimeSpan v) => HoconDuration.TryParse(s, out v));

    /// <summary>The duration at <paramref name="key"/>; throws <see cref="ConfigurationValueException"/> if absent or malformed.</summary>
    public static TimeSpan GetRequiredDuration(this IConfiguration configuration, string key) =>
        ConvertRequired(configuration, key, HoconDuration.Expected, (string s, out TimeSpan v) => HoconDuration.TryParse(s, out v));

    /// <summary>The size in bytes at <paramref name="key"/> (e.g. <c>512k</c>, <c>10MB</c>, <c>1MiB</c>), or <paramref name="defaultValue"/>.</summary>
    public static long GetSize(this IConfiguration configuration, string key, long defaultValue) =>
        Convert(configuration, key, defaultValue, HoconSize.Expected, (string s, out long v) => HoconSize.TryParse(s, out v));

    /// <summary>The integer at <paramref name="key"/>, or <paramref name="defaultValue"/>; a value outside [<paramref name="min"/>, <paramref name="max"/>] throws.</summary>
    public static int GetInt(this IConfiguration configuration, string key, int defaultValue, int min = int.MinValue, int max = int.MaxValue) =>
        (int)Integer(configuration, key, defaultValue, min, max, int.MinValue, int.MaxValue);

    /// <summary>The 64-bit integer at <paramref name="key"/>, or <paramref name="defaultValue"/>; a value outside [<paramref name="min"/>, <paramref name="max"/>] throws.</summary>
    public static long GetLong(this IConfiguration configuration, string key, long defaultValue, long min = long.MinValue, long max = long.MaxValue) =>
        Integer(configuration, key, defaultValue, min, max, long.MinValue, long.MaxValue);

    /// <summary>The number at <paramref name="key"/> (invariant culture), or <paramref name="defaultValue"/>.</summary>
    public static double GetDouble(this IConfiguration configuration, string key, double defaultValue) =>
        Convert(configuration, key, defaultValue, "a number", (string s, out double v) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v));

    /// <summary>The boolean at <paramref name="key"/> (true/false, yes/no, on/off), or <paramref name="defaultValue"/>.</summary>
    public static bool GetBool(this IConfiguration configuration, string key, bool defaultValue) =>
        Convert(configuration, key, defaultValue, "a boolean (true/false, yes/no, on/off)", HoconBoolean.TryParse);

    /// <summary>The enum member named at <paramref name="key"/> (case-insensitive, names only), or <paramref name="defaultValue"/>.</summary>
    public static TEnum GetEnum<TEnum>(this IConfiguration configuration, string key, TEnum defaultValue)
        where TEnum : struct, Enum =>
        Convert(configuration, key, defaultValue, $"one of {string.Join(", ", Enum.GetNames<TEnum>())}", (string s, out TEnum v) =>
            Enum.TryParse(s, ignoreCase: true, out v) && Enum.IsDefined(v) && !char.IsAsciiDigit(s.TrimStart('-')[0]));

    /// <summary>The items of the array at <paramref name="key"/> (<c>key:0</c>, <c>key:1</c>...), in index order; empty if absent.</summary>
    public static IReadOnlyList<string> GetStringList(this IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var items = new List<(int Index, string Value)>();
        foreach (var child in configuration.GetSection(key).GetChildren())
        {
            if (!int.TryParse(child.Key, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
            {
                throw new ConfigurationValueException(child.Path, child.Value, "an array item (keys 0, 1, 2...)");
            }

            if (!string.IsNullOrWhiteSpace(child.Value))
            {
                items.Add((index, child.Value));
            }
        }

        return items.OrderBy(i => i.Index).Select(i => i.Value).ToList();
    }

    /// <summary>The full key for messages: the section's path joined with <paramref name="key"/>.</summary>
    public static string FullKey(this IConfiguration configuration, string key) =>
        configuration is IConfigurationSection { Path.Length: > 0 } section ? $"{section.Path}:{key}" : key;

    private delegate bool TryParse<T>(string text, out T value);

    private static string? Read(IConfiguration configuration, string key)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(key);
        var value = configuration[key];
        return string.IsNullOrWhiteSpace(value) ? null : value.Trim();
    }

    private static long Integer(IConfiguration configuration, string key, long defaultValue, long min, long max, long lowest, long highest)
    {
        var expected = (min == lowest, max == highest) switch
        {
            (true, true) => "an integer",
            (false, true) => string.Create(CultureInfo.InvariantCulture, $"an integer >= {min}"),
            (true, false) => string.Create(CultureInfo.InvariantCulture, $"an integer <= {max}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"an integer between {min} and {max}"),
        };
        return Convert(configuration, key, defaultValue, expected, (string s, out long v) =>
            long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v) && v >= min && v <= max);
    }

    private static T Convert<T>(IConfiguration configuration, string key, T defaultValue, string expected, TryParse<T> parse)
    {
        var text = Read(configuration, key);
        if (text is null)
        {
            return defaultValue;
        }

        return parse(text, out var value) ? value : throw new ConfigurationValueException(FullKey(configuration, key), text, expected);
    }

    private static T ConvertRequired<T>(IConfiguration configuration, string key, string expected, TryParse<T> parse)
    {
        var text = Read(configuration, key) ?? throw new ConfigurationValueException(FullKey(configuration, key), null, expected);
        return parse(text, out var value) ? value : throw new ConfigurationValueException(FullKey(configuration, key), text, expected);
    }
}
