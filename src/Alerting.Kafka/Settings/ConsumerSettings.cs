using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Config = Akka.Configuration.Config;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Kafka.Settings;

/// <summary>
/// Settings of the consumer stages (<see cref="Dsl.KafkaConsumer"/>), read from an <c>akka.kafka.consumer</c>
/// section (keys and defaults as Akka.Streams.Kafka's) and changed with <c>With*</c> copies. Immutable.
/// </summary>
/// <typeparam name="TKey">Record key type.</typeparam>
/// <typeparam name="TValue">Record value type.</typeparam>
public sealed record ConsumerSettings<TKey, TValue>
{
    /// <summary>The configuration path of the default section.</summary>
    public const string ConfigPath = "akka.kafka.consumer";

    private ConsumerSettings()
    {
    }

    /// <summary>The key deserializer; null uses Confluent.Kafka's built-in one for <typeparamref name="TKey"/>.</summary>
    public IDeserializer<TKey>? KeyDeserializer { get; private init; }

    /// <summary>The value deserializer; null uses Confluent.Kafka's built-in one for <typeparamref name="TValue"/>.</summary>
    public IDeserializer<TValue>? ValueDeserializer { get; private init; }

    /// <summary><c>poll-interval</c>: how long the idle poll loop waits for work between polls.</summary>
    public TimeSpan PollInterval { get; private init; }

    /// <summary><c>poll-timeout</c>: the <c>Consume</c> timeout while some partition is requested.</summary>
    public TimeSpan PollTimeout { get; private init; }

    /// <summary><c>stop-timeout</c>: how long the consumer serves commits after its source stopped without Shutdown.</summary>
    public TimeSpan StopTimeout { get; private init; }

    /// <summary><c>close-timeout</c>: how long closing the consumer may take.</summary>
    public TimeSpan CloseTimeout { get; private init; }

    /// <summary><c>commit-timeout</c>: a commit not done within this fails.</summary>
    public TimeSpan CommitTimeout { get; private init; }

    /// <summary><c>commit-time-warning</c>: a commit slower than this is logged.</summary>
    public TimeSpan CommitTimeWarning { get; private init; }

    /// <summary><c>commit-refresh-interval</c> (unused by librdkafka clients; infinite by default).</summary>
    public TimeSpan CommitRefreshInterval { get; private init; }

    /// <summary><c>buffer-size</c>: records a sub-source asks for at once.</summary>
    public int BufferSize { get; private init; }

    /// <summary><c>use-dispatcher</c>.</summary>
    public string DispatcherId { get; private init; } = "";

    /// <summary><c>wait-close-partition</c>.</summary>
    public TimeSpan WaitClosePartition { get; private init; }

    /// <summary><c>position-timeout</c>.</summary>
    public TimeSpan PositionTimeout { get; private init; }

    /// <summary><c>metadata-request-timeout</c>.</summary>
    public TimeSpan MetadataRequestTimeout { get; private init; }

    /// <summary><c>partition-handler-warning</c>: an assignment handler slower than this is logged.</summary>
    public TimeSpan PartitionHandlerWarning { get; private init; }

    /// <summary><c>allow.auto.create.topics</c>.</summary>
    public bool AutoCreateTopicsEnabled { get; private init; }

    /// <summary>Where the stages log failures, rebalances and slow commits (nothing by default).</summary>
    public ILogger Logger { get; private init; } = NullLogger.Instance;

    /// <summary>Told of each offset reset of the consumer (records passed over, e.g. deleted by retention before they were read); none by default.</summary>
    public Action<Messages.OffsetReset>? OffsetResetHandler { get; private init; }

    /// <summary>The client properties (<c>kafka-clients</c> plus <c>With*</c> overrides), passed to Confluent.Kafka as they are.</summary>
    public IImmutableDictionary<string, string> Properties { get; private init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>The <c>group.id</c> property, or null.</summary>
    public string? GroupId => Properties.TryGetValue("group.id", out var id) ? id : null;

    /// <summary>Settings from <paramref name="system"/>'s <c>akka.kafka.consumer</c> section over the library's defaults.</summary>
    public static ConsumerSettings<TKey, TValue> Create(
        ActorSystem system, IDeserializer<TKey>? keyDeserializer, IDeserializer<TValue>? valueDeserializer) =>
        Create(KafkaDefaults.Section(system, ConfigPath), keyDeserializer, valueDeserializer);

    /// <summary>
    /// Settings from a section laid out like <c>akka.kafka.consumer</c>; keys it lacks come from the library's defaults.
    /// </summary>
    /// <exception cref="ConfigurationException">A key has a value of the wrong kind or out of range.</exception>
    public static ConsumerSettings<TKey, TValue> Create(
        Config config, IDeserializer<TKey>? keyDeserializer, IDeserializer<TValue>? valueDeserializer)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(KafkaDefaults.Config.GetConfig(ConfigPath));
        return new ConsumerSettings<TKey, TValue>
        {
            KeyDeserializer = keyDeserializer,
            ValueDeserializer = valueDeserializer,
            PollInterval = KafkaDefaults.Duration(c, "poll-interval"),
            PollTimeout = KafkaDefaults.Duration(c, "poll-timeout"),
            StopTimeout = KafkaDefaults.Duration(c, "stop-timeout"),
            CloseTimeout = KafkaDefaults.Duration(c, "close-timeout"),
            CommitTimeout = KafkaDefaults.Duration(c, "commit-timeout"),
            CommitTimeWarning = KafkaDefaults.Duration(c, "commit-time-warning"),
            CommitRefreshInterval = KafkaDefaults.Duration(c, "commit-refresh-interval", allowInfinite: true),
            BufferSize = KafkaDefaults.Positive(c, "buffer-size"),
            DispatcherId = c.GetString("use-dispatcher", ""),
            WaitClosePartition = KafkaDefaults.Duration(c, "wait-close-partition"),
            PositionTimeout = KafkaDefaults.Duration(c, "position-timeout"),
            MetadataRequestTimeout = KafkaDefaults.Duration(c, "metadata-request-timeout"),
            PartitionHandlerWarning = KafkaDefaults.Duration(c, "partition-handler-warning"),
            AutoCreateTopicsEnabled = c.GetBoolean("allow.auto.create.topics", true),
            Properties = KafkaDefaults.ClientProperties(c),
        };
    }

    /// <summary>A copy with <c>bootstrap.servers</c> set.</summary>
    public ConsumerSettings<TKey, TValue> WithBootstrapServers(string bootstrapServers) => WithProperty("bootstrap.servers", bootstrapServers);

    /// <summary>A copy with <c>client.id</c> set.</summary>
    public ConsumerSettings<TKey, TValue> WithClientId(string clientId) => WithProperty("client.id", clientId);

    /// <summary>A copy with <c>group.id</c> set.</summary>
    public ConsumerSettings<TKey, TValue> WithGroupId(string groupId) => WithProperty("group.id", groupId);

    /// <summary>A copy with one client property set (replacing any earlier value).</summary>
    public ConsumerSettings<TKey, TValue> WithProperty(string key, string value)
    {
        ArgumentException.ThrowIfNullOrEmpty(key);
        ArgumentNullException.ThrowIfNull(value);
        return this with { Properties = Properties.SetItem(key, value) };
    }

    /// <summary>A copy with several client properties set (replacing earlier values).</summary>
    public ConsumerSettings<TKey, TValue> WithProperties(IEnumerable<KeyValuePair<string, string>> properties)
    {
        ArgumentNullException.ThrowIfNull(properties);
        return this with { Properties = Properties.SetItems(properties) };
    }

    /// <summary>A copy with another key deserializer.</summary>
    public ConsumerSettings<TKey, TValue> WithKeyDeserializer(IDeserializer<TKey>? deserializer) => this with { KeyDeserializer = deserializer };

    /// <summary>A copy with another value deserializer.</summary>
    public ConsumerSettings<TKey, TValue> WithValueDeserializer(IDeserializer<TValue>? deserializer) => this with { ValueDeserializer = deserializer };

    /// <summary>A copy with another <c>poll-interval</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithPollInterval(TimeSpan value) => this with { PollInterval = NotNegative(value) };

    /// <summary>A copy with another <c>poll-timeout</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithPollTimeout(TimeSpan value) => this with { PollTimeout = NotNegative(value) };

    /// <summary>A copy with another <c>stop-timeout</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithStopTimeout(TimeSpan value) => this with { StopTimeout = NotNegative(value) };

    /// <summary>A copy with another <c>close-timeout</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithCloseTimeout(TimeSpan value) => this with { CloseTimeout = NotNegative(value) };

    /// <summary>A copy with another <c>commit-timeout</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithCommitTimeout(TimeSpan value) => this with { CommitTimeout = NotNegative(value) };

    /// <summary>A copy with another <c>commit-time-warning</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithCommitWarning(TimeSpan value) => this with { CommitTimeWarning = NotNegative(value) };

    /// <summary>A copy with another <c>buffer-size</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithBufferSize(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return this with { BufferSize = value };
    }

    /// <summary>A copy with another <c>wait-close-partition</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithWaitClosePartition(TimeSpan value) => this with { WaitClosePartition = NotNegative(value) };

    /// <summary>A copy with another <c>partition-handler-warning</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithPartitionHandlerWarning(TimeSpan value) => this with { PartitionHandlerWarning = NotNegative(value) };

    /// <summary>A copy that logs to <paramref name="logger"/>.</summary>
    public ConsumerSettings<TKey, TValue> WithLogger(ILogger logger) => this with { Logger = logger ?? NullLogger.Instance };

    /// <summary>A copy that tells <paramref name="handler"/> of each offset reset (on the consumer's thread: keep it short); null: none.</summary>
    public ConsumerSettings<TKey, TValue> WithOffsetResetHandler(Action<Messages.OffsetReset>? handler) => this with { OffsetResetHandler = handler };

    /// <summary>
    /// The settings without secrets: properties whose key names a password, secret or key material are shown as
    /// <c>***</c>.
    /// </summary>
    public override string ToString() =>
        $"ConsumerSettings({string.Join(", ", Properties.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => p.Key + "=" + KafkaDefaults.Redact(p.Key, p.Value)))})";

    /// <summary>A copy with another <c>use-dispatcher</c>.</summary>
    public ConsumerSettings<TKey, TValue> WithDispatcher(string dispatcherId) => this with { DispatcherId = dispatcherId ?? "" };

    /// <summary>
    /// The Confluent.Kafka configuration of a client built from these settings: <see cref="Properties"/>, plus
    /// <c>allow.auto.create.topics</c> when the properties do not set it.
    /// </summary>
    public ConsumerConfig ToConsumerConfig()
    {
        var properties = Properties;
        if (!properties.ContainsKey("allow.auto.create.topics"))
        {
            properties = properties.SetItem("allow.auto.create.topics", AutoCreateTopicsEnabled ? "true" : "false");
        }

        return new ConsumerConfig(properties.ToDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal));
    }

    private static TimeSpan NotNegative(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, TimeSpan.Zero);
        return value;
    }
}
