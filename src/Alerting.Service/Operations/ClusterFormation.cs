using Akka.Configuration;
using Akka.Discovery.KubernetesApi;
using Akka.Hosting;
using Akka.Management;
using Akka.Management.Cluster.Bootstrap;
using Alerting.Configuration;
using Alerting.Service.Settings;

namespace Alerting.Service.Operations;

/// <summary>
/// How a cluster node finds the others (<c>alerting.cluster.discovery</c>): <c>self</c> joins the seed nodes, or
/// itself when there are none (a single node, the demo); <c>kubernetes</c> runs Akka.Management's cluster bootstrap
/// over Akka.Discovery.KubernetesApi: the pods matching <c>bootstrap.pod-label-selector</c> probe each other on the
/// management port and, once <c>required-contact-points</c> of them agree, the lowest address forms the cluster and
/// the others join it.
/// </summary>
/// <param name="Kubernetes">Whether discovery is <c>kubernetes</c>.</param>
/// <param name="ServiceName">The service name bootstrap looks up (the pods' <c>app</c> label).</param>
/// <param name="PodLabelSelector">Label selector of the pods (<c>{0}</c> is replaced by the service name).</param>
/// <param name="RequiredContactPoints">Contact points that must be found before a new cluster is formed.</param>
/// <param name="ManagementPort">Port of Akka.Management's HTTP endpoint (bootstrap probes); not the admin port.</param>
public sealed record ClusterFormationSettings(bool Kubernetes, string ServiceName, string PodLabelSelector, int RequiredContactPoints, int ManagementPort)
{
    /// <summary>The settings under <c>alerting.cluster</c> of <paramref name="config"/>.</summary>
    public static ClusterFormationSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var discovery = config.ReadString("alerting.cluster.discovery", "self");
        if (discovery is not ("self" or "kubernetes"))
        {
            throw new ConfigurationValueException("alerting.cluster.discovery", discovery, "self or kubernetes");
        }

        var kubernetes = discovery == "kubernetes";
        if (kubernetes && config.ReadStringList("alerting.cluster.seed-nodes").Count > 0)
        {
            throw new ConfigurationValueException("alerting.cluster.seed-nodes", string.Join(",", config.ReadStringList("alerting.cluster.seed-nodes")),
                "empty when alerting.cluster.discovery = kubernetes (bootstrap finds the nodes)");
        }

        return new ClusterFormationSettings(
            kubernetes,
            config.ReadString("alerting.cluster.bootstrap.service-name", "akka-alerting"),
            config.ReadString("alerting.cluster.bootstrap.pod-label-selector", "app={0}"),
            config.ReadInt("alerting.cluster.bootstrap.required-contact-points", 2, 1, 1000),
            config.ReadInt("alerting.cluster.bootstrap.management-port", 8559, 1, 65535));
    }
}

/// <summary>The Akka.Hosting side of <see cref="ClusterFormationSettings"/>.</summary>
public static class ClusterFormation
{
    /// <summary>
    /// On a cluster node (the demo, or one running <c>dispatch</c>) with <c>discovery = kubernetes</c>: Akka.Management on
    /// the management port, Kubernetes API discovery and cluster bootstrap. Otherwise nothing (the node joins its seed
    /// nodes or itself, <see cref="Dispatch.Hosting.DispatchShardingHosting.WithDispatchSharding"/>).
    /// </summary>
    public static AkkaConfigurationBuilder WithClusterFormation(this AkkaConfigurationBuilder akka, Config configuration, AlertingSettings settings, bool demo)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(settings);
        var formation = ClusterFormationSettings.Create(configuration);
        if (!formation.Kubernetes || (!demo && !settings.Applications.Contains("dispatch")))
        {
            return akka;
        }

        return akka
            .WithAkkaManagement(port: formation.ManagementPort, bindHostname: "0.0.0.0", bindPort: formation.ManagementPort)
            .WithKubernetesDiscovery(string.Format(System.Globalization.CultureInfo.InvariantCulture, formation.PodLabelSelector, formation.ServiceName))
            .WithClusterBootstrap(serviceName: formation.ServiceName, portName: "management", requiredContactPoints: formation.RequiredContactPoints, newClusterEnabled: true);
    }
}
