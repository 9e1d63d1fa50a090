using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// Settings of a <see cref="KafkaConsumerSource"/>: the librdkafka consumer configuration (group, timings; auto
/// commit and auto offset store must stay off, the source commits itself), the per-partition buffer that bounds
/// memory, and the commit and drain timings. Immutable; change with <c>with</c> expressions.
/// </summary>
public sealed record KafkaConsumerSettings
{
    /// <summary>Creates settings over a consumer configuration (see <see cref="KafkaClients.ConsumerConfig"/>).</summary>
    public KafkaConsumerSettings(ConsumerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        if (config.EnableAutoCommit == true || config.EnableAutoOffsetStore == true)
        {
            throw new ArgumentException("The source commits offsets itself: enable.auto.commit and enable.auto.offset.store must be false.", nameof(config));
        }

        Config = config;
    }

    /// <summary>The consumer configuration; <c>group.id</c> is required.</summary>
    public ConsumerConfig Config { get; }

    /// <summary>Records buffered per partition between the polling thread and the partition's substream; when full the partition is paused.</summary>
    public int PartitionBufferSize { get; init; } = 1000;

    /// <summary>How often the committable offsets of the assigned partitions are committed.</summary>
    public TimeSpan CommitInterval { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest single wait of the polling thread inside <c>Consume</c>.</summary>
    public TimeSpan PollTimeout { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>How long a synchronous read of the committed offsets (at assignment) may take before it is given up.</summary>
    public TimeSpan CommittedLookupTimeout { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a stopping member keeps retrying a final commit the group rejected (during a rebalance), polling so the
    /// rebalance can finish, before it closes anyway (what was not committed is read again by the next owner).
    /// </summary>
    public TimeSpan StopTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The clock of the commit interval and of drain deadlines.</summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
