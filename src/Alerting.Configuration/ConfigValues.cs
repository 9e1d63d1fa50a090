using System.Globalization;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Alerting.Configuration;

/// <summary>
/// Typed, validated reads of Akka <see cref="Config"/> values for settings bound once at start-up. Paths are full
/// HOCON paths (<c>alerting.kafka.linger</c>), and every error is a <see cref="ConfigurationValueException"/>
/// naming that path. A missing path or a blank string counts as absent and yields the default. Durations use
/// <see cref="HoconDuration"/> (a bare number is milliseconds); numbers the invariant culture.
/// </summary>
public static class ConfigValues
{
    /// <summary>The string at <paramref name="path"/>; throws if it is absent.</summary>
    public static string ReadRequiredString(this Config config, string path) =>
        Text(config, path, "a non-empty string") ?? throw new ConfigurationValueException(path, null, "a non-empty string");

    /// <summary>The string at <paramref name="path"/>, or <paramref name="defaultValue"/> if absent.</summary>
    public static string ReadString(this Config config, string path, string defaultValue) =>
        Text(config, path, "a string") ?? defaultValue;

    /// <summary>The duration at <paramref name="path"/> (e.g. <c>5s</c>; a bare number is milliseconds), or <paramref name="defaultValue"/>.</summary>
    public static TimeSpan ReadDuration(this Config config, string path, TimeSpan defaultValue) =>
        Convert(config, path, defaultValue, HoconDuration.Expected, (string s, out TimeSpan v) => HoconDuration.TryParse(s, out v));

    /// <summary>The integer at <paramref name="path"/>, or <paramref name="defaultValue"/>; a value outside [<paramref name="min"/>, <paramref name="max"/>] throws.</summary>
    public static int ReadInt(this Config config, string path, int defaultValue, int min = int.MinValue, int max = int.MaxValue)
    {
        var expected = (min == int.MinValue, max == int.MaxValue) switch
        {
            (true, true) => "an integer",
            (false, true) => string.Create(CultureInfo.InvariantCulture, $"an integer >= {min}"),
            (true, false) => string.Create(CultureInfo.InvariantCulture, $"an integer <= {max}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"an integer between {min} and {max}"),
        };
        return Convert(config, path, defaultValue, expected, (string s, out int v) =>
            int.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out v) && v >= min && v <= max);
    }

    /// <summary>The finite number at <paramref name="path"/> (invariant culture), or <paramref name="defaultValue"/>.</summary>
    public static double ReadDouble(this Config config, string path, double defaultValue) =>
        Convert(config, path, defaultValue, "a number", (string s, out double v) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v) && double.IsFinite(v));

    /// <summary>The boolean at <paramref name="path"/> (HOCON's <c>on|off</c>, <c>true|false</c>, <c>yes|no</c>), or <paramref name="defaultValue"/>.</summary>
    public static bool ReadBool(this Config config, string path, bool defaultValue) =>
        Convert(config, path, defaultValue, "on or off (true/false, yes/no)", (string s, out bool v) =>
        {
            (var known, v) = s switch
            {
                "on" or "true" or "yes" => (true, true),
                "off" or "false" or "no" => (true, false),
                _ => (false, false),
            };
            return known;
        });

    /// <summary>The items of the array at <paramref name="path"/> as strings; empty if absent; throws if it is not an array of scalars.</summary>
    public static IReadOnlyList<string> ReadStringList(this Config config, string path)
    {
        var value = Value(config, path);
        if (value is null)
        {
            return [];
        }

        if (!value.IsArray())
        {
            throw new ConfigurationValueException(path, Render(value), "an array, e.g. [a, b]");
        }

        return value.GetArray().Select(item => item.IsString()
            ? item.GetString()
            : throw new ConfigurationValueException(path, Render(value), "an array of strings")).ToList();
    }

    /// <summary>The scalars under the object at <paramref name="path"/>, keyed by their dotted path below it (<c>security.protocol</c>); empty if absent.</summary>
    public static IReadOnlyDictionary<string, string> ReadFlatObject(this Config config, string path)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var value = Value(config, path);
        if (value is null)
        {
            return result;
        }

        if (!value.IsObject())
        {
            throw new ConfigurationValueException(path, Render(value), "an object { key = value }");
        }

        void Flatten(string prefix, HoconObject o)
        {
            foreach (var (key, child) in o.Items)
            {
                var name = prefix.Length == 0 ? key : prefix + "." + key;
                if (child.IsObject())
                {
                    Flatten(name, child.GetObject());
                }
                else if (child.IsString())
                {
                    result[name] = child.GetString();
                }
                else
                {
                    throw new ConfigurationValueException(path + "." + name, Render(child), "a string");
                }
            }
        }

        Flatten("", value.GetObject());
        return result;
    }

    /// <summary>The names of the children of the object at <paramref name="path"/>, in file order; empty if absent.</summary>
    public static IReadOnlyList<string> ReadKeys(this Config config, string path)
    {
        var value = Value(config, path);
        if (value is null)
        {
            return [];
        }

        return value.IsObject()
            ? value.GetObject().Items.Keys.ToList()
            : throw new ConfigurationValueException(path, Render(value), "an object");
    }

    /// <summary>The value at <paramref name="path"/>, or null if absent (Akka's <see cref="Config.GetValue"/> without its exceptions).</summary>
    public static HoconValue? Value(Config config, string path)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(path);
        if (config.IsEmpty)
        {
            return null;
        }

        try
        {
            var value = config.GetValue(path);
            return value is null || value.Values.Count == 0 ? null : value;
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NullReferenceException)
        {
            throw new ConfigurationValueException(path, null, "a value under an object (a parent of this path is not one)");
        }
    }

    private delegate bool TryParse<T>(string text, out T value);

    private static string? Text(Config config, string path, string expected)
    {
        var value = Value(config, path);
        if (value is null)
        {
            return null;
        }

        if (!value.IsString())
        {
            throw new ConfigurationValueException(path, Render(value), expected);
        }

        var text = value.GetString();
        return string.IsNullOrWhiteSpace(text) ? null : text.Trim();
    }

    private static T Convert<T>(Config config, string path, T defaultValue, string expected, TryParse<T> parse)
    {
        var text = Text(config, path, expected);
        if (text is null)
        {
            return defaultValue;
        }

        return parse(text, out var value) ? value : throw new ConfigurationValueException(path, text, expected);
    }

    private static string Render(HoconValue value) => value.ToString().Trim();
}
