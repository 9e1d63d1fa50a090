using System.Globalization;
using Akka.Cluster.Sharding;
using Alerting.Kafka;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// The message extractor of the device shard region, aligned with Kafka: the entity id is the device id and the shard
/// id is the partition of the alerts topic a record keyed by that device id lands on (<see cref="KafkaPartitioner"/>,
/// the partitioner every producer of the project sets), written as a decimal number. So the shard of a device is the
/// partition that carries its alerts, and the node that reads the partition can host the shard
/// (<see cref="KafkaShardAllocation"/>).
/// <para>Messages are <see cref="DeviceEnvelope"/>s; Akka.Cluster.Sharding's own <c>ShardingEnvelope</c> and
/// <c>StartEntity</c> (entity id = device id) are unwrapped by the region and routed through
/// <see cref="ShardId(string, object?)"/>; anything else is not routed (the region drops it as unhandled). A device whose records arrive on another partition
/// (a producer with another partitioner, partitions added later) still reaches its one entity: the shard comes from
/// the device id, never from the partition a record was read from.</para>
/// </summary>
public sealed class KafkaShardMessageExtractor : IMessageExtractor
{
    /// <summary>An extractor for an alerts topic of <paramref name="partitions"/> partitions.</summary>
    public KafkaShardMessageExtractor(int partitions)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        Partitions = partitions;
    }

    /// <summary>The partition count of the alerts topic.</summary>
    public int Partitions { get; }

    /// <summary>The shard id of an alerts-topic partition.</summary>
    public static string ShardIdOf(int partition)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(partition);
        return partition.ToString(CultureInfo.InvariantCulture);
    }

    /// <summary>The alerts-topic partition (and so the shard) of <paramref name="deviceId"/>.</summary>
    public int PartitionOf(string deviceId) => KafkaPartitioner.PartitionOf(deviceId, Partitions);

    /// <inheritdoc />
    public string? EntityId(object message) => message is DeviceEnvelope envelope ? envelope.DeviceId : null;

    /// <inheritdoc />
    public object? EntityMessage(object message) => message is DeviceEnvelope envelope ? envelope.Message : message;

    /// <inheritdoc />
    public string? ShardId(object message) => EntityId(message) is { } entityId ? ShardId(entityId) : null;

    /// <inheritdoc />
    public string ShardId(string entityId, object? messageHint = null)
    {
        ArgumentNullException.ThrowIfNull(entityId);
        return ShardIdOf(PartitionOf(entityId));
    }
}
