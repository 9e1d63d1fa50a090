using System.Text.Json;
using Akka.Actor;
using Akka.Cluster;
using Alerting.Rules;

namespace Alerting.Service.Operations;

/// <summary>A partition this node runs and the live rule-set version it matches under.</summary>
public sealed record PartitionRulesView(int Partition, long Version, long? EffectiveAt);

/// <summary>A rule of the set in force: id and version.</summary>
public sealed record RuleRefView(string Id, int Version);

/// <summary>What one node matches under: its rule set, the live version of each partition it runs and when that version took effect.</summary>
/// <param name="Node">The node's cluster address (its actor system's address when it is not a cluster member).</param>
/// <param name="Version">The version of the rule set the node holds (the rule file's, or the latest live version it took).</param>
/// <param name="Rules">The rules of that set.</param>
/// <param name="Partitions">Per partition the node's alert graph runs, the live version in force and its effective time (null: the base set).</param>
public sealed record NodeRulesView(string Node, long? Version, IReadOnlyList<RuleRefView> Rules, IReadOnlyList<PartitionRulesView> Partitions)
{
    /// <summary>This node's view, from its parts.</summary>
    public static NodeRulesView Of(NodeParts parts, string node)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var graph = parts.Graph;
        var versions = graph?.LiveVersions ?? [];
        var active = graph?.ActiveRuleVersions ?? new Dictionary<int, long>();
        RuleSet? rules = parts.Rules;
        // without live rules a partition matches under the set the node loaded
        var partitions = (graph?.AssignedPartitions ?? []).Select(tp => tp.Partition.Value).Concat(active.Keys).Distinct().Order()
            .Select(p =>
            {
                var version = active.TryGetValue(p, out var live) ? live : rules?.Version ?? 0;
                return new PartitionRulesView(p, version, versions.FirstOrDefault(v => v.Version == version && v.Version > 0)?.EffectiveAt);
            })
            .ToList();
        return new NodeRulesView(node, rules?.Version, rules is null ? [] : [.. rules.Rules.Select(r => new RuleRefView(r.Id, r.Version))], partitions);
    }
}

/// <summary>What one node's match stages hold for a device (see <see cref="Pipeline.AlertGraph.InspectDeviceAsync"/>).</summary>
/// <param name="Node">The node's address.</param>
/// <param name="Asked">Partitions of the node asked.</param>
/// <param name="Unanswered">Those that did not answer in time.</param>
/// <param name="Held">The answers that hold anything.</param>
public sealed record NodeDeviceView(string Node, int Asked, int Unanswered, IReadOnlyList<Pipeline.PartitionDeviceInspection> Held);

/// <summary>A member's answer to <c>GET /api/cluster/rules</c>: its view, or why there is none.</summary>
public sealed record MemberRulesView(string Address, string Status, NodeRulesView? View, string? Error);

/// <summary>
/// The actor every node runs at <c>/user/alerting-node-view</c>: answers <see cref="RulesQuery"/> with this node's
/// <see cref="NodeRulesView"/> and <see cref="DeviceQuery"/> + a device id with its <see cref="NodeDeviceView"/>, as JSON
/// text (strings cross the wire with Akka's own serializer, so the questions need no serializer of their own).
/// <see cref="AskClusterAsync"/> and <see cref="InspectClusterAsync"/> ask every member.
/// </summary>
public sealed class NodeViewActor : ReceiveActor
{
    /// <summary>The actor's name under <c>/user</c>.</summary>
    public const string Name = "alerting-node-view";

    /// <summary>The question: this node's rule view.</summary>
    public const string RulesQuery = "alerting.node-view.rules";

    /// <summary>The question's prefix: what the node's match stages hold for the device whose id follows.</summary>
    public const string DeviceQuery = "alerting.node-view.device:";

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public NodeViewActor(NodeParts parts)
    {
        ArgumentNullException.ThrowIfNull(parts);
        var self = ((ExtendedActorSystem)Context.System).Provider.DefaultAddress.ToString();
        Receive<string>(q => q == RulesQuery, _ => Sender.Tell(JsonSerializer.Serialize(NodeRulesView.Of(parts, self), Json)));
        Receive<string>(q => q.StartsWith(DeviceQuery, StringComparison.Ordinal), q =>
        {
            var deviceId = q[DeviceQuery.Length..];
            if (parts.Graph is not { } graph)
            {
                Sender.Tell(JsonSerializer.Serialize(new NodeDeviceView(self, 0, 0, []), Json));
                return;
            }

            // answered when the stages have, without holding this actor meanwhile
            graph.InspectDeviceAsync(deviceId, StageTimeout)
                .ContinueWith(
                    t => t.IsCompletedSuccessfully
                        ? (object)JsonSerializer.Serialize(new NodeDeviceView(self, t.Result.Asked, t.Result.Unanswered, t.Result.Held), Json)
                        : new Status.Failure(t.Exception?.GetBaseException() ?? new TaskCanceledException()),
                    CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .PipeTo(Sender);
        });
    }

    /// <summary>How long a node waits for each of its match stages to answer a device question.</summary>
    public static readonly TimeSpan StageTimeout = TimeSpan.FromSeconds(2);

    public static Props Props(NodeParts parts) => Akka.Actor.Props.Create(() => new NodeViewActor(parts));

    /// <summary>
    /// Asks the node-view actor of every member that is up (or of this node alone when it is not a cluster member) for its
    /// rule view, all at once, each within <paramref name="timeout"/>; a member that does not answer in time is listed
    /// with the error.
    /// </summary>
    public static async Task<IReadOnlyList<MemberRulesView>> AskClusterAsync(ActorSystem system, TimeSpan timeout) =>
        [.. (await AskEveryMemberAsync<NodeRulesView>(system, RulesQuery, timeout).ConfigureAwait(false))
            .Select(a => new MemberRulesView(a.Address, a.Status, a.View, a.Error))];

    /// <summary>
    /// Asks every member that is up (or this node alone) what its match stages hold for <paramref name="deviceId"/>,
    /// each within <paramref name="timeout"/> (which should exceed <see cref="StageTimeout"/>).
    /// </summary>
    public static Task<IReadOnlyList<(string Address, string Status, NodeDeviceView? View, string? Error)>> InspectClusterAsync(ActorSystem system, string deviceId, TimeSpan timeout) =>
        AskEveryMemberAsync<NodeDeviceView>(system, DeviceQuery + deviceId, timeout);

    private static async Task<IReadOnlyList<(string Address, string Status, T? View, string? Error)>> AskEveryMemberAsync<T>(ActorSystem system, string question, TimeSpan timeout)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(system);
        var members = NodeHealth.IsClusterNode(system)
            ? Cluster.Get(system).State.Members
                .Where(m => m.Status is MemberStatus.Up or MemberStatus.WeaklyUp or MemberStatus.Leaving)
                .OrderBy(m => m.Address.ToString(), StringComparer.Ordinal)
                .Select(m => (m.Address, Status: m.Status.ToString()))
                .ToList()
            : [(((ExtendedActorSystem)system).Provider.DefaultAddress, "Up")];
        var asks = members.Select(async m =>
        {
            try
            {
                var answer = await system.ActorSelection(new RootActorPath(m.Address) / "user" / Name).Ask<string>(question, timeout).ConfigureAwait(false);
                return (m.Address.ToString(), m.Status, JsonSerializer.Deserialize<T>(answer, Json), (string?)null);
            }
            catch (AskTimeoutException)
            {
                return (m.Address.ToString(), m.Status, null, $"no answer within {timeout.TotalSeconds:0.#} s");
            }
            catch (JsonException ex)
            {
                return (m.Address.ToString(), m.Status, (T?)null, "unreadable answer: " + ex.Message);
            }
        });
        return await Task.WhenAll(asks).ConfigureAwait(false);
    }
}
