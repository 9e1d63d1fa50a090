using Akka.Actor;
using Akka.Cluster.Sharding;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// Starts the device shard region: entity = <see cref="DeviceEntityActor"/> of the device id, shard = the device's
/// alerts partition (<see cref="KafkaShardMessageExtractor"/>), shards placed by <see cref="KafkaShardAllocationStrategy"/>
/// where <see cref="KafkaShardAllocation"/> locates them (the node reading the partition), hand-off stop message
/// <see cref="StopDeviceEntity"/>.
/// </summary>
public static class DeviceShardRegion
{
    /// <summary>Starts the region on <paramref name="system"/> (a cluster member) and returns it.</summary>
    /// <param name="system">The node's ActorSystem (<c>akka.actor.provider = cluster</c>).</param>
    /// <param name="settings">Type name of the region.</param>
    /// <param name="extractor">The extractor of the alerts topic's partition count.</param>
    /// <param name="output">Where the entities hand their dispatches (<see cref="DispatchOutput.Ref"/>).</param>
    /// <param name="entity">The entities' settings.</param>
    /// <param name="counters">Counts the entities' persisted events and drops.</param>
    /// <param name="logger">The entities' logger.</param>
    public static Task<IActorRef> StartAsync(
        ActorSystem system,
        DispatchShardingSettings settings,
        KafkaShardMessageExtractor extractor,
        IActorRef output,
        DeviceEntitySettings entity,
        DispatchCounters? counters,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(extractor);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(logger);
        return ClusterSharding.Get(system).StartAsync(
            settings.TypeName,
            deviceId => DeviceEntityActor.Props(deviceId, output, entity, logger, counters),
            ClusterShardingSettings.Create(system),
            extractor,
            new KafkaShardAllocationStrategy(system, settings.TypeName),
            StopDeviceEntity.Instance);
    }
}
