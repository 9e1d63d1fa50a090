using Akka.Actor;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Alerting.Kafka;
using Alerting.Kafka.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// The dispatcher of one cluster node: the device shard region (<see cref="DeviceShardRegion"/>), its output to the
/// dispatch topic (<see cref="DispatchOutput"/>) and its delivery from the alerts and work-order topics
/// (<see cref="DispatchDelivery"/>), with the shards of the alerts partitions this node reads located here
/// (<see cref="KafkaShardAllocation"/>). The node must be a member of the cluster (it joined itself or seed nodes)
/// and have the device entities' persistence configured (<see cref="DispatchPersistence.Hocon"/>).
/// </summary>
public sealed class ShardedDispatcher
{
    private readonly DispatchOutput _output;
    private readonly DispatchDelivery _delivery;

    private ShardedDispatcher(IActorRef region, DispatchOutput output, DispatchDelivery delivery, DispatchCounters counters, int partitions)
    {
        Region = region;
        _output = output;
        _delivery = delivery;
        Counters = counters;
        Partitions = partitions;
        Completion = Task.WhenAny(delivery.Completion, output.Completion).Unwrap();
    }

    /// <summary>The device shard region.</summary>
    public IActorRef Region { get; }

    /// <summary>What the dispatcher has done so far (records received, dead letters, events of the entities, produced).</summary>
    public DispatchCounters Counters { get; }

    /// <summary>The alerts partitions this node reads now.</summary>
    public IReadOnlyList<int> AssignedAlertsPartitions => _delivery.AssignedAlertsPartitions;

    /// <summary>The alerts topic's partition count (the number of shards).</summary>
    public int Partitions { get; }

    /// <summary>
    /// Completes when the delivery or the output stopped (after <see cref="StopAsync"/>); faults when one of them
    /// failed for good: the node should then exit non-zero.
    /// </summary>
    public Task Completion { get; }

    /// <summary>Starts the region, the output and the delivery on <paramref name="system"/>.</summary>
    /// <param name="system">The node's ActorSystem: a cluster member with the entities' persistence configured.</param>
    /// <param name="dispatch">Kafka (bootstrap servers, group, topics, client configuration) and the entities' delay, snapshot and passivation.</param>
    /// <param name="sharding">Region and delivery settings.</param>
    /// <param name="logger">Where the region, the entities and the delivery log.</param>
    public static async Task<ShardedDispatcher> StartAsync(ActorSystem system, DispatchSettings dispatch, DispatchShardingSettings sharding, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(dispatch);
        ArgumentNullException.ThrowIfNull(sharding);
        ArgumentNullException.ThrowIfNull(logger);
        dispatch.Validate();
        sharding.Validate();

        var producerConfig = KafkaClients.ProducerConfig(dispatch.BootstrapServers);
        dispatch.ConfigureProducer?.Invoke(producerConfig, "dispatch");
        var consumerConfig = KafkaClients.ConsumerConfig(dispatch.BootstrapServers, dispatch.GroupId, dispatch.SessionTimeout, dispatch.HeartbeatInterval);
        // The range assignor gives partition p of the alerts and of the work-order topic (same partition count, same
        // partitioner) to the same member, and balances each topic on its own: a node reads the work orders of the
        // devices whose shards it hosts. (Cooperative-sticky balances the sum over both topics: a node could get only
        // work-order partitions and host no shard.)
        consumerConfig.PartitionAssignmentStrategy = PartitionAssignmentStrategy.Range;
        dispatch.ConfigureConsumer?.Invoke(consumerConfig, "dispatch");
        var partitions = PartitionCount(producerConfig, dispatch.AlertsTopic);

        var counters = new DispatchCounters();
        var producer = ProducerSettings<string, string>.Create(system, Serializers.Utf8, Serializers.Utf8).WithProperties(producerConfig).WithLogger(logger);
        var output = DispatchOutput.Start(system, producer, dispatch.DispatchTopic, counters);
        var entity = DeviceEntitySettings.Create(system.Settings.Config) with
        {
            DefaultDelay = dispatch.DefaultDelay,
            SnapshotEvery = dispatch.SnapshotEvery,
            PassivateAfter = dispatch.PassivateAfter,
        };
        var extractor = new KafkaShardMessageExtractor(partitions);
        var region = await DeviceShardRegion.StartAsync(system, sharding, extractor, output.Ref, entity, counters, logger).ConfigureAwait(false);
        var allocation = new KafkaShardAllocation(system, sharding.TypeName, logger);
        var consumer = ConsumerSettings<string, string>.Create(system, Deserializers.Utf8, Deserializers.Utf8).WithProperties(consumerConfig).WithLogger(logger)
            .WithOffsetResetHandler(counters.OffsetResets.Count);
        var delivery = DispatchDelivery.Start(system, region, allocation, dispatch, sharding, consumer, producer, CommitterSettings.Create(system), counters, logger);
        return new ShardedDispatcher(region, output, delivery, counters, partitions);
    }

    /// <summary>
    /// Stops: the delivery stops taking records and commits what the entities acknowledged (bounded by
    /// <paramref name="timeout"/>), then the output produces what it was handed and stops. Entities stay up until the
    /// ActorSystem stops (hand-off on leaving the cluster).
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        try
        {
            await _delivery.StopAsync(timeout).ConfigureAwait(false);
        }
        finally
        {
            _output.Complete();
            await Task.WhenAny(_output.Completion, Task.Delay(timeout)).ConfigureAwait(false);
        }
    }

    /// <summary>The partition count of <paramref name="topic"/>, from the cluster's metadata (the topic must exist).</summary>
    private static int PartitionCount(ProducerConfig config, string topic)
    {
        var admin = new AdminClientConfig();
        foreach (var (key, value) in config)
        {
            if (key is "bootstrap.servers" or "client.id" || key.StartsWith("security.", StringComparison.Ordinal)
                || key.StartsWith("sasl.", StringComparison.Ordinal) || key.StartsWith("ssl.", StringComparison.Ordinal))
            {
                admin.Set(key, value);
            }
        }
        using var client = KafkaClients.AdminClientBuilder(admin).Build();
        var metadata = client.GetMetadata(topic, TimeSpan.FromSeconds(30));
        var found = metadata.Topics.SingleOrDefault(t => string.Equals(t.Topic, topic, StringComparison.Ordinal));
        return found is { Error.IsError: false, Partitions.Count: > 0 }
            ? found.Partitions.Count
            : throw new InvalidOperationException($"The alerts topic {topic} does not exist or has no partitions ({found?.Error.Reason ?? "absent"}).");
    }
}
