using Confluent.Kafka;

namespace Alerting.Kafka;

/// <summary>
/// Client configurations and builders with defaults that work against the embedded broker and against
/// real Kafka. Builders returned here have librdkafka loaded (<see cref="KafkaNative.EnsureLoaded"/>).
/// </summary>
public static class KafkaClients
{
    /// <summary>Kafka's default consumer session timeout.</summary>
    public static readonly TimeSpan DefaultSessionTimeout = TimeSpan.FromSeconds(45);

    /// <summary>Kafka's default consumer heartbeat interval.</summary>
    public static readonly TimeSpan DefaultHeartbeatInterval = TimeSpan.FromSeconds(3);

    /// <summary>
    /// A producer configuration: idempotent (acks all, ordered retries), lz4, a 5 ms linger so records
    /// batch, a local queue of one million messages so bulk producing does not hit QueueFull, and the project's
    /// partitioner (<see cref="KafkaPartitioner.Name"/>, Kafka's Java murmur2): the dispatcher computes a device's
    /// alerts partition with the same hash (<see cref="KafkaPartitioner.PartitionOf(string, int)"/>). Nagle's algorithm
    /// is off (<c>socket.nagle.disable</c>), as in Kafka's Java clients: a small request is sent at once, not held back
    /// for the broker's acknowledgement of the previous one.
    /// </summary>
    /// <param name="bootstrapServers">The <c>bootstrap.servers</c> list.</param>
    public static ProducerConfig ProducerConfig(string bootstrapServers)
    {
        ArgumentException.ThrowIfNullOrEmpty(bootstrapServers);
        return new ProducerConfig
        {
            BootstrapServers = bootstrapServers,
            EnableIdempotence = true,
            Acks = Acks.All,
            CompressionType = CompressionType.Lz4,
            LingerMs = 5,
            QueueBufferingMaxMessages = 1_000_000,
            Partitioner = KafkaPartitioner.Value,
            SocketNagleDisable = true,
        };
    }

    /// <summary>
    /// A consumer group member's configuration: cooperative-sticky assignment (members keep their
    /// partitions across rebalances), nothing committed or stored automatically (the application commits
    /// what it has finished), reading from the earliest offset when the group has none, and Nagle's algorithm off
    /// (small fetch requests go out at once).
    /// </summary>
    /// <param name="bootstrapServers">The <c>bootstrap.servers</c> list.</param>
    /// <param name="groupId">The consumer group.</param>
    /// <param name="sessionTimeout">
    /// How long the coordinator waits for a silent member before rebalancing; defaults to Kafka's 45 s.
    /// Each rebalance on the embedded broker takes about this long minus one second, so tests use 6 s.
    /// </param>
    /// <param name="heartbeatInterval">How often a member heartbeats; defaults to 3 s, tests use 1 s.</param>
    public static ConsumerConfig ConsumerConfig(
        string bootstrapServers,
        string groupId,
        TimeSpan? sessionTimeout = null,
        TimeSpan? heartbeatInterval = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(bootstrapServers);
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        var session = sessionTimeout ?? DefaultSessionTimeout;
        var heartbeat = heartbeatInterval ?? DefaultHeartbeatInterval;
        if (heartbeat >= session)
        {
            throw new ArgumentException("The heartbeat interval must be shorter than the session timeout.", nameof(heartbeatInterval));
        }

        return new ConsumerConfig
        {
            BootstrapServers = bootstrapServers,
            GroupId = groupId,
            PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky,
            EnableAutoCommit = false,
            EnableAutoOffsetStore = false,
            AutoOffsetReset = AutoOffsetReset.Earliest,
            SessionTimeoutMs = checked((int)session.TotalMilliseconds),
            HeartbeatIntervalMs = checked((int)heartbeat.TotalMilliseconds),
            SocketNagleDisable = true,
        };
    }

    /// <summary>A producer builder over <paramref name="config"/>, with librdkafka loaded.</summary>
    public static ProducerBuilder<TKey, TValue> ProducerBuilder<TKey, TValue>(ProducerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        KafkaNative.EnsureLoaded();
        return new ProducerBuilder<TKey, TValue>(config);
    }

    /// <summary>A consumer builder over <paramref name="config"/>, with librdkafka loaded.</summary>
    public static ConsumerBuilder<TKey, TValue> ConsumerBuilder<TKey, TValue>(ConsumerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        KafkaNative.EnsureLoaded();
        return new ConsumerBuilder<TKey, TValue>(config);
    }

    /// <summary>An admin client builder over <paramref name="config"/>, with librdkafka loaded.</summary>
    public static AdminClientBuilder AdminClientBuilder(AdminClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        KafkaNative.EnsureLoaded();
        return new AdminClientBuilder(config);
    }
}
