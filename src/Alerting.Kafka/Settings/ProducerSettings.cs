using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Config = Akka.Configuration.Config;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Kafka.Settings;

/// <summary>
/// Settings of the producer stages (<see cref="Dsl.KafkaProducer"/>), read from an <c>akka.kafka.producer</c>
/// section (keys and defaults as Akka.Streams.Kafka's) and changed with <c>With*</c> copies. Immutable.
/// </summary>
/// <typeparam name="TKey">Record key type.</typeparam>
/// <typeparam name="TValue">Record value type.</typeparam>
public sealed record ProducerSettings<TKey, TValue>
{
    /// <summary>The configuration path of the default section.</summary>
    public const string ConfigPath = "akka.kafka.producer";

    private ProducerSettings()
    {
    }

    /// <summary>The key serializer; null uses Confluent.Kafka's built-in one for <typeparamref name="TKey"/>.</summary>
    public ISerializer<TKey>? KeySerializer { get; private init; }

    /// <summary>The value serializer; null uses Confluent.Kafka's built-in one for <typeparamref name="TValue"/>.</summary>
    public ISerializer<TValue>? ValueSerializer { get; private init; }

    /// <summary><c>parallelism</c>: envelopes in flight (sent, not yet acknowledged) before the flow backpressures.</summary>
    public int Parallelism { get; private init; }

    /// <summary><c>flush-timeout</c>: how long a stopping producer stage waits for outstanding deliveries.</summary>
    public TimeSpan FlushTimeout { get; private init; }

    /// <summary><c>use-dispatcher</c>.</summary>
    public string DispatcherId { get; private init; } = "";

    /// <summary>Where the stages log failures, rebalances and slow commits (nothing by default).</summary>
    public ILogger Logger { get; private init; } = NullLogger.Instance;

    /// <summary>The client properties (<c>kafka-clients</c> plus <c>With*</c> overrides), passed to Confluent.Kafka as they are.</summary>
    public IImmutableDictionary<string, string> Properties { get; private init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Settings from <paramref name="system"/>'s <c>akka.kafka.producer</c> section over the library's defaults.</summary>
    public static ProducerSettings<TKey, TValue> Create(
        ActorSystem system, ISerializer<TKey>? keySerializer, ISerializer<TValue>? valueSerializer) =>
        Create(KafkaDefaults.Section(system, ConfigPath), keySerializer, valueSerializer);

    /// <summary>
    /// Settings from a section laid out like <c>akka.kafka.producer</c>; keys it lacks come from the library's defaults.
    /// </summary>
    /// <exception cref="ConfigurationException">A key has a value of the wrong kind or out of range.</exception>
    public static ProducerSettings<TKey, TValue> Create(
        Config config, ISerializer<TKey>? keySerializer, ISerializer<TValue>? valueSerializer)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(KafkaDefaults.Config.GetConfig(ConfigPath));
        return new ProducerSettings<TKey, TValue>
        {
            KeySerializer = keySerializer,
            ValueSerializer = valueSerializer,
            Parallelism = KafkaDefaults.Positive(c, "parallelism"),
            FlushTimeout = KafkaDefaults.Duration(c, "flush-timeout"),
            DispatcherId = c.GetString("use-dispatcher", ""),
            Properties = KafkaDefaults.ClientProperties(c),
        };
    }

    /// <summary>A copy with <c>bootstrap.servers</c> set.</summary>
    public ProducerSettings<TKey, TValue> WithBootstrapServers(string bootstrapServers) => WithProperty("bootstrap.servers", bootstrapServers);

    /// <summary>A copy with <c>client.id</c> set.</summary>
    public ProducerSettings<TKey, TValue> WithClientId(string clientId) => WithProperty("client.id", clientId);

    /// <summary>A copy with one client property set (replacing any earlier value).</summary>
    public ProducerSettings<TKey, TValue> WithProperty(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return this with { Properties = Properties.SetItem(key, value) };
    }

    /// <summary>A copy with several client properties set (replacing earlier values).</summary>
    public ProducerSettings<TKey, TValue> WithProperties(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return this with { Properties = Properties.SetItems(properties) };
    }

    /// <summary>A copy with another key serializer.</summary>
    public ProducerSettings<TKey, TValue> WithKeySerializer(ISerializer<TKey>? serializer) => this with { KeySerializer = serializer };

    /// <summary>A copy with another value serializer.</summary>
    public ProducerSettings<TKey, TValue> WithValueSerializer(ISerializer<TValue>? serializer) => this with { ValueSerializer = serializer };

    /// <summary>A copy with another <c>parallelism</c>.</summary>
    public ProducerSettings<TKey, TValue> WithParallelism(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return this with { Parallelism = value };
    }

    /// <summary>A copy with another <c>flush-timeout</c>.</summary>
    public ProducerSettings<TKey, TValue> WithFlushTimeout(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return this with { FlushTimeout = value };
    }

    /// <summary>A copy that logs to <paramref name="logger"/>.</summary>
    public ProducerSettings<TKey, TValue> WithLogger(ILogger logger) => this with { Logger = logger ?? NullLogger.Instance };

    /// <summary>
    /// The settings without secrets: properties whose key names a password, secret or key material are shown as
    /// <c>***</c>.
    /// </summary>
    public override string ToString() =>
        $"ProducerSettings({string.Join(", ", Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + KafkaDefaults.Redact(p.Key, p.Value)))})";

    /// <summary>A copy with another <c>use-dispatcher</c>.</summary>
    public ProducerSettings<TKey, TValue> WithDispatcher(string dispatcherId) => this with { DispatcherId = dispatcherId ?? "" };

    /// <summary>The Confluent.Kafka configuration of a client built from these settings.</summary>
    public ProducerConfig ToProducerConfig() =>
        new(Properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
}
