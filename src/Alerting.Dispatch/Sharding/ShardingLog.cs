using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>Log messages of the device shard region and its delivery from Kafka (event ids 42xx).</summary>
internal static partial class ShardingLog
{
    [LoggerMessage(EventId = LogEvents.DispatchShardsLocated, Level = LogLevel.Information,
        Message = "shard region {TypeName}: shards [{Shards}] located on {Node} (their alerts partitions are read here)")]
    public static partial void ShardsLocated(ILogger logger, string typeName, string shards, string node);

    [LoggerMessage(EventId = LogEvents.DispatchShardsNotLocated, Level = LogLevel.Warning,
        Message = "shard region {TypeName}: locating shards [{Shards}] on this node failed; they stay where they are until the next assignment")]
    public static partial void ShardsNotLocated(ILogger logger, Exception exception, string typeName, string shards);

    [LoggerMessage(EventId = LogEvents.DispatchDeadLetter, Level = LogLevel.Warning,
        Message = "dispatch: record {Topic}[{Partition}]@{Offset} goes to the dead-letter topic: {Reason}")]
    public static partial void DeadLetter(ILogger logger, string topic, int partition, long offset, string reason);

    [LoggerMessage(EventId = LogEvents.DispatchCommandNotAcknowledged, Level = LogLevel.Error,
        Message = "dispatch: device {DeviceId} did not acknowledge {Topic}[{Partition}]@{Offset} in {Attempts} attempts (each waiting up to {Timeout}); the delivery restarts from the committed offsets")]
    public static partial void CommandNotAcknowledged(ILogger logger, Exception exception, string deviceId, string topic, int partition, long offset, int attempts, TimeSpan timeout);

    [LoggerMessage(EventId = LogEvents.DispatchCommandRetried, Level = LogLevel.Warning,
        Message = "dispatch: device {DeviceId} did not acknowledge {Topic}[{Partition}]@{Offset} (attempt {Attempt}); sent again in {Backoff}")]
    public static partial void CommandRetried(ILogger logger, Exception exception, string deviceId, string topic, int partition, long offset, int attempt, TimeSpan backoff);

    [LoggerMessage(EventId = LogEvents.DispatchDeliveryFailed, Level = LogLevel.Error,
        Message = "dispatch: the delivery from Kafka failed; it restarts from the committed offsets after a backoff of at least {Backoff}")]
    public static partial void DeliveryFailed(ILogger logger, Exception exception, TimeSpan backoff);
}
