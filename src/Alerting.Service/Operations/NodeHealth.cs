using Akka.Actor;
using Akka.Cluster;
using Microsoft.Extensions.Hosting;

namespace Alerting.Service.Operations;

/// <summary>One readiness condition and whether it holds.</summary>
/// <param name="Name">cluster, rules, alert-consumer, dispatch-consumer or stopping.</param>
/// <param name="Ok">Whether it holds.</param>
/// <param name="Detail">What was seen.</param>
public sealed record HealthCheck(string Name, bool Ok, string Detail);

/// <summary>The answer of <c>/health/live</c> and <c>/health/ready</c>.</summary>
/// <param name="Status">live, ready, not_live or not_ready.</param>
/// <param name="Checks">The conditions, each with what was seen.</param>
public sealed record HealthReport(string Status, IReadOnlyList<HealthCheck> Checks)
{
    /// <summary>True when every check holds.</summary>
    public bool Ok => Checks.All(c => c.Ok);
}

/// <summary>
/// Liveness and readiness of this node. Live: the ActorSystem runs. Ready: the node is an Up member of the cluster
/// (when it is a cluster node), a rule set is loaded, each application it runs has Kafka partitions assigned, and
/// the host is not stopping. A node beyond the partition count therefore never becomes ready: it would idle.
/// </summary>
public sealed class NodeHealth(ActorSystem system, NodeParts parts, IHostApplicationLifetime lifetime)
{
    /// <summary>Whether the ActorSystem still runs.</summary>
    public HealthReport Live()
    {
        var terminated = system.WhenTerminated.IsCompleted;
        return new HealthReport(terminated ? "not_live" : "live", [new HealthCheck("actor-system", !terminated, terminated ? "terminated" : "running")]);
    }

    /// <summary>Whether the node takes its share of the work.</summary>
    public HealthReport Ready()
    {
        var checks = new List<HealthCheck>
        {
            new("stopping", !lifetime.ApplicationStopping.IsCancellationRequested, lifetime.ApplicationStopping.IsCancellationRequested ? "the host is stopping" : "running"),
            ClusterCheck(),
            parts.Rules is { } rules
                ? new HealthCheck("rules", true, $"version {rules.Version}, {rules.Rules.Count} rules")
                : new HealthCheck("rules", false, "no rule set loaded"),
        };

        if (parts.Applications.Contains("alert"))
        {
            var assigned = parts.Graph?.AssignedPartitions.Count ?? 0;
            checks.Add(new HealthCheck("alert-consumer", assigned > 0, parts.Graph is null ? "not started" : $"{assigned} partitions assigned"));
        }

        if (parts.Applications.Contains("dispatch"))
        {
            var assigned = parts.Dispatch?.Dispatcher.AssignedAlertsPartitions.Count ?? 0;
            checks.Add(new HealthCheck("dispatch-consumer", assigned > 0, parts.Dispatch is null ? "not started" : $"{assigned} alerts partitions assigned"));
        }

        var ok = checks.All(c => c.Ok);
        return new HealthReport(ok ? "ready" : "not_ready", checks);
    }

    private HealthCheck ClusterCheck()
    {
        if (!IsClusterNode(system))
        {
            return new HealthCheck("cluster", true, "not a cluster node");
        }

        var self = Cluster.Get(system).SelfMember;
        return new HealthCheck("cluster", self.Status == MemberStatus.Up, $"{self.Address} {self.Status}");
    }

    /// <summary>Whether <paramref name="system"/> runs Akka.Cluster's actor-ref provider.</summary>
    public static bool IsClusterNode(ActorSystem system) =>
        ((ExtendedActorSystem)system).Provider is Akka.Cluster.ClusterActorRefProvider;
}
