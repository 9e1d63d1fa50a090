using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding.External;
using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// Keeps the shards of a region where Kafka puts the partitions: when the alerts consumer of this node is assigned
/// partitions, their shards (<see cref="KafkaShardMessageExtractor.ShardIdOf"/>) are located on this node through
/// Akka.Cluster.Sharding's external shard allocation (the region must use <see cref="ExternalShardAllocationStrategy"/>
/// for <see cref="TypeName"/>). The coordinator then allocates a new shard here and moves a running one at its next
/// rebalance. A revoked partition needs nothing: its next owner claims the shard when it is assigned.
/// </summary>
public sealed class KafkaShardAllocation
{
    private readonly Address _self;
    private readonly IExternalShardAllocationClient _client;
    private readonly ILogger _logger;

    /// <summary>The allocation of the region <paramref name="typeName"/> on <paramref name="system"/>'s cluster node.</summary>
    public KafkaShardAllocation(ActorSystem system, string typeName, ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentException.ThrowIfNullOrEmpty(typeName);
        ArgumentNullException.ThrowIfNull(logger);
        TypeName = typeName;
        _self = Akka.Cluster.Cluster.Get(system).SelfAddress;
        _client = ExternalShardAllocation.Get(system).ClientFor(typeName);
        _logger = logger;
    }

    /// <summary>The shard region's type name.</summary>
    public string TypeName { get; }

    /// <summary>
    /// Locates the shards of <paramref name="partitions"/> on this node. Completes once the update is replicated (a
    /// majority of the cluster); a failure (timeout) is logged and thrown, and the shards stay where they are until
    /// the next assignment: records still reach their entities, over the network.
    /// </summary>
    public async Task AssignedAsync(IEnumerable<int> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var locations = partitions.Distinct().ToImmutableDictionary(KafkaShardMessageExtractor.ShardIdOf, _ => _self);
        if (locations.Count == 0)
        {
            return;
        }
        try
        {
            await _client.UpdateShardLocations(locations).ConfigureAwait(false);
            ShardingLog.ShardsLocated(_logger, TypeName, string.Join(',', locations.Keys.Order(StringComparer.Ordinal)), _self.ToString());
        }
        catch (Exception ex)
        {
            ShardingLog.ShardsNotLocated(_logger, ex, TypeName, string.Join(',', locations.Keys.Order(StringComparer.Ordinal)));
            throw;
        }
    }

    /// <summary>The shard locations set so far (every node's), by shard id.</summary>
    public async Task<IReadOnlyDictionary<string, Address>> LocationsAsync()
    {
        var locations = await _client.ShardLocations().ConfigureAwait(false);
        return locations.Locations.ToDictionary(l => l.Key, l => l.Value.Address, StringComparer.Ordinal);
    }
}
