using Akka.Cluster.Hosting;
using Akka.Configuration;
using Akka.Hosting;
using Akka.Remote.Hosting;
using Alerting.Configuration;
using Alerting.Dispatch.Actors;

namespace Alerting.Dispatch.Hosting;

/// <summary>
/// How a node of the dispatcher joins the Akka cluster and where its device entities persist, bound from
/// <c>alerting.cluster</c> (defaults in this assembly's <c>reference.conf</c>) plus the persistence database.
/// </summary>
/// <param name="Hostname">The address remoting binds and other nodes reach this one at.</param>
/// <param name="Port">The remoting port; 0 picks a free one (a single node that joins itself).</param>
/// <param name="SeedNodes">Addresses of the seed nodes (<c>akka.tcp://alerting@host:port</c>); none = the node joins itself.</param>
/// <param name="Provider">The entities' journal and snapshot database.</param>
/// <param name="ConnectionString">Its ADO.NET connection string.</param>
/// <param name="AutoInitialize">Whether missing tables are created on start.</param>
/// <param name="Bootstrap">Whether the node finds its cluster through Akka.Management's cluster bootstrap (<c>alerting.cluster.discovery = kubernetes</c>) instead of joining itself.</param>
public sealed record DispatchClusterOptions(
    string Hostname,
    int Port,
    IReadOnlyList<string> SeedNodes,
    DispatchPersistenceProvider Provider,
    string ConnectionString,
    bool AutoInitialize = true,
    bool Bootstrap = false)
{
    /// <summary>The path of the cluster section in the configuration.</summary>
    public const string Path = "alerting.cluster";

    /// <summary>Options from <paramref name="config"/>'s <c>alerting.cluster</c> (falling back to <c>reference.conf</c>) and the given database.</summary>
    public static DispatchClusterOptions Create(Config config, DispatchPersistenceProvider provider, string connectionString, bool autoInitialize = true)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var c = config.WithFallback(DispatchPersistence.ReferenceConfig);
        return new DispatchClusterOptions(
            c.ReadRequiredString(Path + ".hostname"),
            c.ReadInt(Path + ".port", 0, 0, 65535),
            c.ReadStringList(Path + ".seed-nodes"),
            provider,
            connectionString,
            autoInitialize,
            c.ReadString(Path + ".discovery", "self") == "kubernetes");
    }

    /// <summary>Secrets stay out of logs.</summary>
    public override string ToString() =>
        $"DispatchClusterOptions {{ Hostname = {Hostname}, Port = {Port}, SeedNodes = [{string.Join(", ", SeedNodes)}], Provider = {Provider} }}";
}

/// <summary>The Akka.Hosting wiring of the dispatcher's cluster node.</summary>
public static class DispatchShardingHosting
{
    /// <summary>
    /// Makes the ActorSystem a cluster node that can host the device shard region (<see cref="Sharding.ShardedDispatcher"/>):
    /// remoting on <see cref="DispatchClusterOptions.Hostname"/>:<see cref="DispatchClusterOptions.Port"/>, Akka.Cluster
    /// with the seed nodes (or joining itself when there are none, so a single node forms its own cluster), the device
    /// entities' journal and snapshot store on Akka.Persistence.Sql (<see cref="DispatchPersistence.Hocon"/>), and the
    /// dispatcher's defaults (<see cref="DispatchPersistence.ReferenceConfig"/>) under the configuration given before.
    /// </summary>
    /// <param name="builder">The service's Akka.Hosting builder.</param>
    /// <param name="options">Where the node listens, whom it joins, where its entities persist.</param>
    public static AkkaConfigurationBuilder WithDispatchSharding(this AkkaConfigurationBuilder builder, DispatchClusterOptions options)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(options);
        builder.AddHocon(DispatchPersistence.Hocon(options.Provider, options.ConnectionString, options.AutoInitialize), HoconAddMode.Append);
        builder.WithRemoting(options.Hostname, options.Port);
        builder.WithClustering(new ClusterOptions { SeedNodes = options.SeedNodes.Count > 0 ? [.. options.SeedNodes] : null });
        if (options.SeedNodes.Count == 0 && !options.Bootstrap)
        {
            builder.AddStartup((system, _) =>
            {
                var cluster = Akka.Cluster.Cluster.Get(system);
                cluster.Join(cluster.SelfAddress);
            });
        }
        return builder;
    }
}
