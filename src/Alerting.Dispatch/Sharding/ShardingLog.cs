using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>Log messages of the device shard region and its delivery from Kafka (event ids 42xx).</summary>
internal static partial class ShardingLog
{
    [LoggerMessage(EventId = 4200, Level = LogLevel.Information,
        Message = "shard region {TypeName}: shards [{Shards}] located on {Node} (their alerts partitions are read here)")]
    public static partial void ShardsLocated(ILogger logger, string typeName, string shards, string node);

    [LoggerMessage(EventId = 4201, Level = LogLevel.Warning,
        Message = "shard region {TypeName}: locating shards [{Shards}] on this node failed; they stay where they are until the next assignment")]
    public static partial void ShardsNotLocated(ILogger logger, Exception exception, string typeName, string shards);
}
