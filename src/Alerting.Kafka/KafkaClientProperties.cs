using System.Runtime.InteropServices;
using Alerting.Kafka.Native;
using Confluent.Kafka;

namespace Alerting.Kafka;

/// <summary>
/// librdkafka configuration properties given by the operator (security, TLS files, client ids, tuning), checked
/// against librdkafka itself and laid over the configuration of every client the service builds.
/// </summary>
/// <remarks>
/// A property is checked by setting it on a fresh native configuration (<c>rd_kafka_conf_set</c>), the way
/// librdkafka checks a client's configuration before it builds the client; nothing is connected. That refuses
/// names librdkafka does not know and values it cannot take (a <c>security.protocol</c> it does not support,
/// a number out of range). What only a live client can check (a TLS file that does not exist) fails when the
/// client is built. The keys that decide how the service reads and commits are refused too: they come from the
/// service's own settings.
/// </remarks>
public static class KafkaClientProperties
{
    private const int ErrorTextSize = 512;

    // rd_kafka_conf_res_t
    private const int ConfUnknown = -2;

    /// <summary>Keys the service sets from its own settings, with the setting to use instead.</summary>
    private static readonly Dictionary<string, string> s_owned = new(StringComparer.Ordinal)
    {
        ["bootstrap.servers"] = "it comes from alerting.kafka.bootstrap-servers",
        ["group.id"] = "each consumer group is named by the service's settings",
        ["enable.auto.commit"] = "the service commits an offset only once what came before it is done",
        ["enable.auto.offset.store"] = "the service stores an offset only once what came before it is done",
    };

    /// <summary>
    /// Checks every property; throws for the first one librdkafka refuses or the service sets itself, naming its key.
    /// </summary>
    /// <exception cref="InvalidKafkaPropertyException">A key is unknown to librdkafka, owned by the service, or its value refused.</exception>
    public static void Validate(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        if (Find(properties) is { } refused)
        {
            throw refused;
        }
    }

    /// <summary>
    /// The first property librdkafka refuses or the service sets itself, as the error to raise; null when all are
    /// accepted.
    /// </summary>
    public static InvalidKafkaPropertyException? Find(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        var list = properties.ToList();
        if (list.Count == 0)
        {
            return null;
        }

        foreach (var (key, value) in list)
        {
            if (s_owned.TryGetValue(key, out var why))
            {
                return new InvalidKafkaPropertyException(key, value, "settable here: " + why);
            }
        }

        KafkaNative.EnsureLoaded();
        return CheckNative(list);
    }

    /// <summary>
    /// Whether the value of <paramref name="key"/> is a secret (a password, a private key, a client secret) that
    /// messages and logs must not show.
    /// </summary>
    public static bool IsSecret(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        return key.Contains("password", StringComparison.OrdinalIgnoreCase)
            || key.Contains("secret", StringComparison.OrdinalIgnoreCase)
            || key.Equals("ssl.key.pem", StringComparison.Ordinal)
            || key.Equals("sasl.jaas.config", StringComparison.Ordinal);
    }

    /// <summary>
    /// Sets every property on <paramref name="config"/>, replacing what was set before under the same key, and
    /// returns it. The properties are expected to have passed <see cref="Validate"/>.
    /// </summary>
    public static T WithProperties<T>(this T config, IEnumerable<KeyValuePair<string, string>> properties)
        where T : ClientConfig
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(properties);
        foreach (var (key, value) in properties)
        {
            config.Set(key, value);
        }

        return config;
    }

    private static unsafe InvalidKafkaPropertyException? CheckNative(List<KeyValuePair<string, string>> properties)
    {
        var errstr = stackalloc byte[ErrorTextSize];
        var conf = LibRdKafka.rd_kafka_conf_new();
        try
        {
            foreach (var (key, value) in properties)
            {
                var result = LibRdKafka.rd_kafka_conf_set(conf, key, value, errstr, ErrorTextSize);
                if (result == LibRdKafka.ConfOk)
                {
                    continue;
                }

                var text = Marshal.PtrToStringUTF8((IntPtr)errstr) ?? "";
                return result == ConfUnknown
                    ? new InvalidKafkaPropertyException(key, value, "a librdkafka configuration property: " + text)
                    : new InvalidKafkaPropertyException(key, value, "a value librdkafka accepts: " + Redacted(key, value, text));
            }

            return null;
        }
        finally
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
        }
    }

    private static string Redacted(string key, string value, string text) =>
        IsSecret(key) && value.Length > 0 ? text.Replace(value, "***", StringComparison.Ordinal) : text;
}
