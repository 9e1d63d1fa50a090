using Alerting.Kafka;
using Confluent.Kafka;

namespace Alerting.Service.Settings;

/// <summary>
/// The configurations of the Kafka clients the service builds, from <c>alerting.kafka</c>: the project's defaults
/// (<see cref="KafkaClients"/>), then the client id (<c>client-id</c> plus the client's role), the producer settings
/// (<c>linger</c>, <c>compression</c>, <c>producer-queue-max-messages</c>) or the consumer's (<c>fetch-max-wait</c>,
/// session and heartbeat), and last every entry of <c>properties</c> (security, TLS files, ...), which wins over
/// anything set before it under the same key.
/// </summary>
public static class KafkaClientConfigs
{
    /// <summary>A producer configuration for the client of <paramref name="role"/> (e.g. <c>alert</c>).</summary>
    /// <param name="kafka">The service's Kafka settings.</param>
    /// <param name="role">Appended to the client id prefix: <c>{client-id}-{role}</c>.</param>
    /// <param name="bootstrapServers">Overrides <see cref="KafkaSettings.BootstrapServers"/> (the embedded broker's address).</param>
    public static ProducerConfig ProducerConfig(this KafkaSettings kafka, string role, string? bootstrapServers = null)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        var config = KafkaClients.ProducerConfig(bootstrapServers ?? kafka.BootstrapServers);
        kafka.Configure(config, role);
        return config;
    }

    /// <summary>A consumer configuration for a member of <paramref name="groupId"/>, for the client of <paramref name="role"/>.</summary>
    /// <param name="kafka">The service's Kafka settings.</param>
    /// <param name="groupId">The consumer group.</param>
    /// <param name="role">Appended to the client id prefix: <c>{client-id}-{role}</c>.</param>
    /// <param name="bootstrapServers">Overrides <see cref="KafkaSettings.BootstrapServers"/> (the embedded broker's address).</param>
    public static ConsumerConfig ConsumerConfig(this KafkaSettings kafka, string groupId, string role, string? bootstrapServers = null)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        var config = KafkaClients.ConsumerConfig(bootstrapServers ?? kafka.BootstrapServers, groupId, kafka.SessionTimeout, kafka.HeartbeatInterval);
        kafka.Configure(config, role);
        return config;
    }

    /// <summary>An admin client configuration for the client of <paramref name="role"/>.</summary>
    /// <param name="kafka">The service's Kafka settings.</param>
    /// <param name="role">Appended to the client id prefix: <c>{client-id}-{role}</c>.</param>
    /// <param name="bootstrapServers">Overrides <see cref="KafkaSettings.BootstrapServers"/> (the embedded broker's address).</param>
    public static AdminClientConfig AdminConfig(this KafkaSettings kafka, string role, string? bootstrapServers = null)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentException.ThrowIfNullOrEmpty(role);
        var config = new AdminClientConfig
        {
            BootstrapServers = bootstrapServers ?? kafka.BootstrapServers,
            ClientId = kafka.ClientId + "-" + role,
        };
        return config.WithProperties(kafka.Properties);
    }

    /// <summary>
    /// Sets the client id, the producer settings and the properties on a producer configuration built elsewhere
    /// (one that already has its bootstrap servers).
    /// </summary>
    public static void Configure(this KafkaSettings kafka, ProducerConfig config, string role)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(role);
        config.ClientId = kafka.ClientId + "-" + role;
        config.LingerMs = kafka.Linger.TotalMilliseconds;
        config.CompressionType = Compression(kafka.Compression);
        config.QueueBufferingMaxMessages = kafka.ProducerQueueMaxMessages;
        config.WithProperties(kafka.Properties);
    }

    /// <summary>
    /// Sets the client id, the fetch wait and the properties on a consumer configuration built elsewhere (one that
    /// already has its bootstrap servers and group).
    /// </summary>
    public static void Configure(this KafkaSettings kafka, ConsumerConfig config, string role)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(role);
        config.ClientId = kafka.ClientId + "-" + role;
        config.FetchWaitMaxMs = checked((int)kafka.FetchMaxWait.TotalMilliseconds);
        config.WithProperties(kafka.Properties);
    }

    /// <summary>The librdkafka compression codec of an <c>alerting.kafka.compression</c> value.</summary>
    public static CompressionType Compression(string compression) => compression switch
    {
        "none" => CompressionType.None,
        "gzip" => CompressionType.Gzip,
        "snappy" => CompressionType.Snappy,
        "lz4" => CompressionType.Lz4,
        "zstd" => CompressionType.Zstd,
        _ => throw new ArgumentOutOfRangeException(nameof(compression), compression, "none, gzip, snappy, lz4 or zstd"),
    };
}
