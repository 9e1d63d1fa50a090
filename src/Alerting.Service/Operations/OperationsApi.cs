using System.Collections.Immutable;
using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Sharding;
using Alerting.Service.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Operations;

/// <summary>A cluster member as <c>GET /api/cluster</c> shows it.</summary>
public sealed record MemberView(string Address, string Status, IReadOnlyList<string> Roles, bool Reachable, bool Leader, bool Self);

/// <summary>The cluster as this node sees it.</summary>
public sealed record ClusterView(string Self, string? Leader, IReadOnlyList<MemberView> Members);

/// <summary>The body of <c>POST /api/cluster/leave</c> and <c>/down</c>.</summary>
public sealed record AddressRequest(string? Address);

/// <summary>The body of <c>POST /api/dlq/replay</c>.</summary>
public sealed record ReplayRequest(string? Reason);

/// <summary>What a state-changing call did.</summary>
public sealed record ActionResult(string Action, IReadOnlyList<string> Addresses, int Count = 0)
{
    /// <summary>What it left out, by why (a replay's records it did not re-publish); null when nothing applies.</summary>
    public IReadOnlyDictionary<string, int>? Skipped { get; init; }
}

/// <summary>A shard region of the device entities.</summary>
public sealed record RegionView(string Address, IReadOnlyDictionary<string, int> Shards, IReadOnlyList<string> Failed);

/// <summary>Where a shard lives and how many entities it has there.</summary>
public sealed record ShardView(string ShardId, string? Region, int Entities, IReadOnlyList<string> EntityIds);

/// <summary>A device entity's state (see <see cref="DeviceStateReply"/>).</summary>
public sealed record DeviceView(string DeviceId, string ShardId, JsonElement State);

/// <summary>
/// The JSON API behind <c>alertctl</c>, mirroring pbm's commands: <c>/api/cluster</c> (show, leave, down,
/// down-unreachable; <c>/api/cluster/rules</c>: the rule set and live version each member matches under), <c>/api/sharding</c> (regions, stats, a shard), <c>/api/devices/{id}</c> (a device entity's
/// state), <c>/api/lag</c>, <c>/api/dlq</c> (tail, replay). Reads are GET; anything else changes state and needs the
/// token (<see cref="AdminAuth"/>). 400 for a bad request, 404 for an unknown member or shard, 409 when this node does
/// not run the part asked about, 503 when Kafka or the cluster does not answer in time.
/// </summary>
public sealed class OperationsApi(ActorSystem system, NodeParts parts, AlertingSettings settings, AdminSettings admin, ILoggerFactory loggerFactory, KafkaLagReader lagReader) : AdminRoutes
{
    private readonly ILogger _log = loggerFactory.CreateLogger<OperationsApi>();

    public override void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/api/cluster", () => IsCluster() ? Results.Json(ClusterState()) : NotHere("this node is not a cluster member"));
        app.MapGet("/api/cluster/rules", async () => Results.Json(new { members = await NodeViewActor.AskClusterAsync(system, TimeSpan.FromSeconds(3)) }));
        app.MapPost("/api/cluster/leave", (AddressRequest body) => OnMember(body, "leave", (c, a) => c.Leave(a)));
        app.MapPost("/api/cluster/down", (AddressRequest body) => OnMember(body, "down", (c, a) => c.Down(a)));
        app.MapPost("/api/cluster/down-unreachable", DownUnreachable);
        app.MapGet("/api/sharding/regions", RegionsAsync);
        app.MapGet("/api/sharding/stats", StatsAsync);
        app.MapGet("/api/sharding/shards/{id}", (string id, CancellationToken ct) => ShardAsync(id, ct));
        app.MapGet("/api/devices/{id}", (string id, CancellationToken ct) => DeviceAsync(id, ct));
        app.MapGet("/api/lag", LagAsync);
        app.MapGet("/api/dlq", (string? reason, int? n) => DeadLetters(reason, n));
        app.MapPost("/api/dlq/replay", (ReplayRequest body, CancellationToken ct) => ReplayAsync(body, ct));
    }

    private bool IsCluster() => NodeHealth.IsClusterNode(system);

    private ClusterView ClusterState()
    {
        var cluster = Cluster.Get(system);
        var state = cluster.State;
        var unreachable = state.Unreachable.Select(m => m.Address).ToHashSet();
        var members = state.Members.Concat(state.Unreachable.Where(u => !state.Members.Contains(u)))
            .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
            .Select(m => new MemberView(m.Address.ToString(), m.Status.ToString(), [.. m.Roles.Order(StringComparer.Ordinal)],
                !unreachable.Contains(m.Address), m.Address.Equals(state.Leader), m.Address.Equals(cluster.SelfAddress)))
            .ToList();
        return new ClusterView(cluster.SelfAddress.ToString(), state.Leader?.ToString(), members);
    }

    private IResult OnMember(AddressRequest body, string action, Action<Cluster, Address> act)
    {
        if (!IsCluster())
        {
            return NotHere("this node is not a cluster member");
        }

        if (string.IsNullOrWhiteSpace(body.Address))
        {
            return Results.Json(new AdminError("address is required, e.g. akka.tcp://alerting@10.0.0.1:4053"), statusCode: StatusCodes.Status400BadRequest);
        }

        Address address;
        try
        {
            // "self": this node (a pod's preStop hook asks its own node to leave).
            address = body.Address == "self" ? Cluster.Get(system).SelfAddress : Address.Parse(body.Address);
        }
        catch (UriFormatException ex)
        {
            return Results.Json(new AdminError($"not an Akka address: {body.Address} ({ex.Message})"), statusCode: StatusCodes.Status400BadRequest);
        }

        var cluster = Cluster.Get(system);
        if (!cluster.State.Members.Any(m => m.Address.Equals(address)) && !cluster.State.Unreachable.Any(m => m.Address.Equals(address)))
        {
            return Results.Json(new AdminError($"{address} is not a member of the cluster"), statusCode: StatusCodes.Status404NotFound);
        }

        act(cluster, address);
        return Results.Json(new ActionResult(action, [address.ToString()], 1), statusCode: StatusCodes.Status202Accepted);
    }

    private IResult DownUnreachable()
    {
        if (!IsCluster())
        {
            return NotHere("this node is not a cluster member");
        }

        var cluster = Cluster.Get(system);
        var downed = cluster.State.Unreachable.Select(m => m.Address).ToList();
        foreach (var address in downed)
        {
            cluster.Down(address);
        }

        return Results.Json(new ActionResult("down-unreachable", [.. downed.Select(a => a.ToString())], downed.Count), statusCode: StatusCodes.Status202Accepted);
    }

    private async Task<IResult> RegionsAsync(CancellationToken cancellationToken)
    {
        if (Region() is not { } region)
        {
            return NotHere("this node runs no device shard region (alerting.applications)");
        }

        var regions = await region.Ask<CurrentRegions>(GetCurrentRegions.Instance, admin.LagTimeout, cancellationToken);
        return Results.Json(new { typeName = "device", regions = regions.Regions.Select(a => a.ToString()).Order(StringComparer.Ordinal).ToList() });
    }

    private async Task<IResult> StatsAsync(CancellationToken cancellationToken)
    {
        if (Region() is not { } region)
        {
            return NotHere("this node runs no device shard region (alerting.applications)");
        }

        return Results.Json(new { regions = await ClusterStatsAsync(region, cancellationToken) });
    }

    private async Task<List<RegionView>> ClusterStatsAsync(IActorRef region, CancellationToken cancellationToken)
    {
        var stats = await region.Ask<ClusterShardingStats>(new GetClusterShardingStats(admin.LagTimeout), admin.LagTimeout * 2, cancellationToken);
        return [.. stats.Regions
            .OrderBy(r => r.Key.ToString(), StringComparer.Ordinal)
            .Select(r => new RegionView(
                r.Key.ToString(),
                r.Value.Stats.OrderBy(s => s.Key, StringComparer.Ordinal).ToImmutableSortedDictionary(s => s.Key, s => s.Value, StringComparer.Ordinal),
                [.. (r.Value.Failed ?? ImmutableHashSet<string>.Empty).Order(StringComparer.Ordinal)]))];
    }

    private async Task<IResult> ShardAsync(string id, CancellationToken cancellationToken)
    {
        if (Region() is not { } region)
        {
            return NotHere("this node runs no device shard region (alerting.applications)");
        }

        var regions = await ClusterStatsAsync(region, cancellationToken);
        var host = regions.FirstOrDefault(r => r.Shards.ContainsKey(id));
        if (host is null)
        {
            return Results.Json(new AdminError($"shard {id} is not allocated (no region hosts it)"), statusCode: StatusCodes.Status404NotFound);
        }

        IReadOnlyList<string> entityIds = [];
        if (host.Address == Cluster.Get(system).SelfAddress.ToString())
        {
            var local = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, admin.LagTimeout, cancellationToken);
            entityIds = [.. local.Shards.Where(s => s.ShardId == id).SelectMany(s => s.EntityIds).Order(StringComparer.Ordinal)];
        }

        return Results.Json(new ShardView(id, host.Address, host.Shards[id], entityIds));
    }

    private async Task<IResult> DeviceAsync(string id, CancellationToken cancellationToken)
    {
        if (parts.Dispatch is not { } dispatch)
        {
            return NotHere("this node runs no device shard region (alerting.applications)");
        }

        if (!Web.WebRoutes.IsDeviceId(id))
        {
            // checked before the shard region is asked: asking starts the entity, and its journal is keyed by the id
            return Results.Json(new AdminError("a device id is 1 to 256 letters, digits or -_.:@"), statusCode: StatusCodes.Status400BadRequest);
        }

        var reply = await dispatch.Dispatcher.Region.Ask<DeviceStateReply>(new DeviceEnvelope(id, GetDeviceState.Instance), admin.LagTimeout, cancellationToken);
        using var state = JsonDocument.Parse(reply.Json);
        var shard = KafkaShardMessageExtractor.ShardIdOf(new KafkaShardMessageExtractor(dispatch.Dispatcher.Partitions).PartitionOf(id));
        return Results.Json(new DeviceView(reply.DeviceId, shard, state.RootElement.Clone()));
    }

    private async Task<IResult> LagAsync(CancellationToken cancellationToken)
    {
        if (parts.Kafka is not { BootstrapServers.Length: > 0 } kafka)
        {
            return NotHere("this node has no Kafka cluster configured");
        }

        var lag = await lagReader.ReadNodeAsync(parts, settings, kafka, admin.LagTimeout, cancellationToken);
        return Results.Json(new { partitions = lag, total = lag.Sum(l => l.Lag) });
    }

    private IResult DeadLetters(string? reason, int? n)
    {
        if (parts.Kafka is not { BootstrapServers.Length: > 0 } kafka)
        {
            return NotHere("this node has no Kafka cluster configured");
        }

        if (n is < 1 or > 10_000)
        {
            return Results.Json(new AdminError("n must be between 1 and 10000"), statusCode: StatusCodes.Status400BadRequest);
        }

        var records = DeadLetterQueue.Tail(kafka, string.IsNullOrEmpty(reason) ? null : reason, n ?? 20, admin.LagTimeout * 2);
        return Results.Json(new { topic = kafka.Topics.DeadLetter, records });
    }

    private async Task<IResult> ReplayAsync(ReplayRequest body, CancellationToken cancellationToken)
    {
        if (parts.Kafka is not { BootstrapServers.Length: > 0 } kafka)
        {
            return NotHere("this node has no Kafka cluster configured");
        }

        if (string.IsNullOrWhiteSpace(body.Reason))
        {
            return Results.Json(new AdminError("reason is required, e.g. not_json"), statusCode: StatusCodes.Status400BadRequest);
        }

        var replay = await DeadLetterQueue.ReplayAsync(kafka, body.Reason, admin.LagTimeout * 2, cancellationToken);
        if (replay.SkippedCut > 0)
        {
            OperationsLog.DeadLettersNotReplayed(_log, replay.SkippedCut, body.Reason);
        }

        return Results.Json(
            new ActionResult("dlq-replay", [], replay.Replayed) { Skipped = new Dictionary<string, int> { ["cut"] = replay.SkippedCut, ["no_source"] = replay.SkippedNoSource } },
            statusCode: StatusCodes.Status202Accepted);
    }

    private IActorRef? Region() => parts.Dispatch?.Dispatcher.Region;

    private static IResult NotHere(string why) =>
        Results.Json(new AdminError(why), statusCode: StatusCodes.Status409Conflict);
}
