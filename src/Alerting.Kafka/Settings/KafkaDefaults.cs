using System.Collections.Immutable;
using System.Globalization;
using Akka.Actor;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Alerting.Kafka.Settings;

/// <summary>
/// The defaults of the <c>akka.kafka</c> sections (the library's embedded <c>reference.conf</c>) and helpers the
/// settings types share to read a section.
/// </summary>
public static class KafkaDefaults
{
    private static readonly Lazy<Config> s_config = new(Load);

    /// <summary>The library's <c>reference.conf</c>: <c>akka.kafka.consumer</c>, <c>producer</c>, <c>committer</c>.</summary>
    public static Config Config => s_config.Value;

    /// <summary>
    /// The section at <paramref name="path"/> of <paramref name="system"/>'s configuration, with the library's
    /// defaults underneath: a system that sets nothing gets Akka.Streams.Kafka's defaults.
    /// </summary>
    internal static Config Section(ActorSystem system, string path)
    {
        ArgumentNullException.ThrowIfNull(system);
        var own = system.Settings.Config.GetConfig(path);
        return own is null || own.IsEmpty ? Config.GetConfig(path) : own.WithFallback(Config.GetConfig(path));
    }

    /// <summary>
    /// The <c>kafka-clients</c> sub-section of <paramref name="section"/> as client properties: nested HOCON
    /// objects become dotted keys (<c>enable.auto.commit</c>), values are passed as written.
    /// </summary>
    internal static ImmutableDictionary<string, string> ClientProperties(Config section)
    {
        var builder = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var clients = section.GetConfig("kafka-clients");
        if (clients is not null && !clients.IsEmpty)
        {
            Flatten(clients.Root, prefix: null, builder);
        }

        return builder.ToImmutable();
    }

    private static void Flatten(HoconValue value, string? prefix, ImmutableDictionary<string, string>.Builder into)
    {
        if (value.IsObject())
        {
            foreach (var (key, child) in value.GetObject().Items)
            {
                Flatten(child, prefix is null ? key : prefix + "." + key, into);
            }

            return;
        }

        if (prefix is null)
        {
            return;
        }

        into[prefix] = value.IsArray()
            ? string.Join(",", value.GetArray().Select(v => v.GetString()))
            : value.GetString();
    }

    /// <summary>A positive duration of <paramref name="section"/>, failing with the key's name otherwise.</summary>
    internal static TimeSpan Duration(Config section, string key, bool allowInfinite = false)
    {
        var value = section.GetTimeSpan(key, @default: null, allowInfinite: allowInfinite);
        if (value < TimeSpan.Zero && value != Timeout.InfiniteTimeSpan)
        {
            throw new ConfigurationException($"{key} must not be negative, is {value}");
        }

        return value;
    }

    /// <summary>A positive integer of <paramref name="section"/>, failing with the key's name otherwise.</summary>
    internal static int Positive(Config section, string key)
    {
        var value = section.GetInt(key);
        if (value <= 0)
        {
            throw new ConfigurationException(
                string.Create(CultureInfo.InvariantCulture, $"{key} must be at least 1, is {value}"));
        }

        return value;
    }

    /// <summary>The value of a client property as it may be logged: secrets are replaced by <c>***</c>.</summary>
    internal static string Redact(string key, string value) =>
        key.Contains("password", StringComparison.OrdinalIgnoreCase)
        || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
        || key.Contains("jaas", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith(".key.pem", StringComparison.OrdinalIgnoreCase)
            ? "***"
            : value;

    private static Config Load()
    {
        using var stream = typeof(KafkaDefaults).Assembly.GetManifestResourceStream("Alerting.Kafka.reference.conf")
            ?? throw new InvalidOperationException("The embedded Alerting.Kafka.reference.conf is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
