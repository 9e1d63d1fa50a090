using System.Collections.Immutable;
using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Cluster.Sharding.External;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// The device region's allocation: <see cref="ExternalShardAllocationStrategy"/> (a shard goes where
/// <see cref="KafkaShardAllocation"/> located it, i.e. to the node reading its alerts partition, and is moved there at
/// the next rebalance), with one correction. When the coordinator restarts remembered shards (after a restart of the
/// cluster) the requester is not a region and no location may be known yet; the external strategy would then answer
/// with that requester, which the coordinator refuses, and the shard, with its entities holding delayed alerts, would
/// stay down until a record reaches it. Such a shard goes to the region with the fewest shards instead; once its
/// partition is assigned, the rebalance moves it to the reader.
/// </summary>
public sealed class KafkaShardAllocationStrategy : IStartableAllocationStrategy
{
    private readonly ExternalShardAllocationStrategy _external;

    /// <summary>The strategy of the region <paramref name="typeName"/> on <paramref name="system"/>.</summary>
    public KafkaShardAllocationStrategy(ActorSystem system, string typeName)
    {
        _external = new ExternalShardAllocationStrategy(system, typeName);
    }

    /// <inheritdoc />
    public void Start() => _external.Start();

    /// <inheritdoc />
    public async Task<IActorRef> AllocateShard(IActorRef requester, string shardId, IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations)
    {
        ArgumentNullException.ThrowIfNull(currentShardAllocations);
        var chosen = await _external.AllocateShard(requester, shardId, currentShardAllocations).ConfigureAwait(false);
        if (currentShardAllocations.ContainsKey(chosen) || currentShardAllocations.Count == 0)
        {
            return chosen;
        }
        return currentShardAllocations
            .OrderBy(r => r.Value.Count)
            .ThenBy(r => r.Key.Path.ToString(), StringComparer.Ordinal)
            .First().Key;
    }

    /// <inheritdoc />
    public Task<IImmutableSet<string>> Rebalance(IImmutableDictionary<IActorRef, IImmutableList<string>> currentShardAllocations, IImmutableSet<string> rebalanceInProgress) =>
        _external.Rebalance(currentShardAllocations, rebalanceInProgress);
}
