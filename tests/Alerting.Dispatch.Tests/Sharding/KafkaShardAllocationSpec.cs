using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Alerting.Dispatch.Sharding;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// A single node that joined itself: partitions assigned to its alerts consumer become shard locations on this node,
/// and a device's message lands in the shard named by its partition.
/// </summary>
public sealed class KafkaShardAllocationSpec(ITestOutputHelper output) : Akka.TestKit.Xunit2.TestKit("""
    akka.loglevel = WARNING
    akka.actor.provider = cluster
    akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
    akka.cluster.sharding.state-store-mode = ddata
    akka.test.single-expect-default = 20s
    """, output)
{
    private const string TypeName = "device-allocation-spec";

    [Fact]
    public async Task Assigned_partitions_become_shards_located_on_this_node_and_a_device_lands_in_its_partitions_shard()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up);

        var extractor = new KafkaShardMessageExtractor(8);
        var region = await ClusterSharding.Get(Sys).StartAsync(TypeName, Props.Create(() => new Echo()), ClusterShardingSettings.Create(Sys),
            extractor, new KafkaShardAllocationStrategy(Sys, TypeName), PoisonPill.Instance);
        var allocation = new KafkaShardAllocation(Sys, TypeName, NullLogger.Instance);

        await allocation.AssignedAsync([1, 5, 5]);

        var locations = await allocation.LocationsAsync();
        Assert.Equal(["1", "5"], locations.Keys.Order(StringComparer.Ordinal));
        Assert.All(locations.Values, address => Assert.Equal(cluster.SelfAddress, address));

        var device = Enumerable.Range(0, 1000).Select(i => "press-" + i).First(id => extractor.PartitionOf(id) == 5);
        region.Tell(new DeviceEnvelope(device, "ping"), TestActor);
        ExpectMsg("pong:ping");
        region.Tell(GetShardRegionState.Instance, TestActor);
        var state = ExpectMsg<CurrentShardRegionState>();
        var shard = Assert.Single(state.Shards);
        Assert.Equal("5", shard.ShardId);
        Assert.Contains(device, shard.EntityIds);
    }

    [Fact]
    public async Task A_shard_restarted_by_the_coordinator_without_a_known_location_goes_to_the_region_with_the_fewest_shards()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up);
        var strategy = new KafkaShardAllocationStrategy(Sys, "device-restart-spec");
        strategy.Start();
        var (busy, idle) = (CreateTestProbe("busy").Ref, CreateTestProbe("idle").Ref);
        var current = System.Collections.Immutable.ImmutableDictionary<IActorRef, System.Collections.Immutable.IImmutableList<string>>.Empty
            .Add(busy, System.Collections.Immutable.ImmutableList.Create("0", "1"))
            .Add(idle, System.Collections.Immutable.ImmutableList.Create("2"));

        // The coordinator's own placeholder requester is not a region: the external strategy alone would pick it.
        Assert.Equal(idle, await strategy.AllocateShard(ActorRefs.Nobody, "3", current));
        // A region asking for a shard of no known location gets it, as with the external strategy.
        Assert.Equal(busy, await strategy.AllocateShard(busy, "4", current));
    }

    private sealed class Echo : ReceiveActor
    {
        public Echo() => Receive<string>(s => Sender.Tell("pong:" + s));
    }
}
