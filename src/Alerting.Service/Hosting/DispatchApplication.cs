using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Hosting;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Sharding;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>
/// The dispatch application of one instance: the device shard region of the service's ActorSystem (a cluster node,
/// see <see cref="DispatchNode.WithDispatchNode"/>) fed from the alerts and work-order topics
/// (<see cref="ShardedDispatcher"/>), with the entities' journal on Akka.Persistence.Sql (SQLite embedded, or PostgreSQL).
/// </summary>
public sealed class DispatchApplication
{
    private DispatchApplication(ShardedDispatcher dispatcher)
    {
        Dispatcher = dispatcher;
    }

    /// <summary>The running dispatcher.</summary>
    public ShardedDispatcher Dispatcher { get; }

    /// <summary>What the dispatcher has done so far.</summary>
    public DispatchCounters Counters => Dispatcher.Counters;

    /// <summary>Completes when the dispatcher stopped; faults when it failed for good.</summary>
    public Task Completion => Dispatcher.Completion;

    /// <summary>
    /// Waits until this node is an Up member of the cluster, then starts the region and the delivery against
    /// <paramref name="bootstrapServers"/>.
    /// </summary>
    public static async Task<DispatchApplication> StartAsync(ActorSystem system, AlertingSettings settings, string bootstrapServers, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Cluster.Get(system).RegisterOnMemberUp(() => up.TrySetResult());
        await up.Task.WaitAsync(cancellationToken);

        var dispatch = (settings.Dispatch.WithBootstrapServers(bootstrapServers) with
        {
            ConfigureConsumer = settings.Kafka.Configure,
            ConfigureProducer = settings.Kafka.Configure,
        }).Validate();
        var dispatcher = await ShardedDispatcher.StartAsync(system, dispatch, DispatchShardingSettings.Create(system.Settings.Config), logger);
        return new DispatchApplication(dispatcher);
    }

    /// <summary>Stops taking records, commits what the entities acknowledged and produces what they handed over.</summary>
    public Task StopAsync(TimeSpan timeout) => Dispatcher.StopAsync(timeout);
}

/// <summary>The service's side of the Akka.Hosting wiring of its state: the alert checkpoints and the device entities.</summary>
public static class DispatchNode
{
    /// <summary>
    /// Points the persistent state of the applications this instance runs at one database (<c>alerting.persistence</c>:
    /// PostgreSQL, or an SQLite file, a new one in the temp folder deleted when the ActorSystem terminates when
    /// <c>sqlite-path</c> is empty): the alert application's checkpoint store (<see cref="AlertCheckpointPersistence"/>),
    /// and, when it runs the dispatcher (the demo, or <c>dispatch</c> among <c>alerting.applications</c>), makes the
    /// ActorSystem a cluster node with the entities' journal and snapshot store
    /// (<see cref="DispatchShardingHosting.WithDispatchSharding"/>; <c>alerting.cluster</c> for the address and seed nodes).
    /// </summary>
    public static AkkaConfigurationBuilder WithDispatchNode(this AkkaConfigurationBuilder akka, Config configuration, AlertingSettings settings, bool demo)
    {
        ArgumentNullException.ThrowIfNull(akka);
        ArgumentNullException.ThrowIfNull(configuration);
        ArgumentNullException.ThrowIfNull(settings);
        var alert = demo || settings.Applications.Contains("alert");
        var dispatch = demo || settings.Applications.Contains("dispatch");
        if (!alert && !dispatch)
        {
            return akka;
        }

        var (provider, connectionString, temporary) = Database(settings.Persistence);
        if (alert)
        {
            akka.AddHocon(AlertCheckpointPersistence.Hocon(provider, connectionString), HoconAddMode.Append);
        }

        if (dispatch)
        {
            akka.WithDispatchSharding(DispatchClusterOptions.Create(configuration, provider, connectionString));
        }

        if (temporary is not null)
        {
            akka.AddStartup((system, _) => system.RegisterOnTermination(() => TemporaryDatabase.Delete(temporary)));
        }
        return akka;
    }

    /// <summary>The database of <paramref name="persistence"/>, and the temporary SQLite file made for it (null when none was).</summary>
    public static (DispatchPersistenceProvider Provider, string ConnectionString, string? Temporary) Database(PersistenceSettings persistence)
    {
        ArgumentNullException.ThrowIfNull(persistence);
        if (persistence.Provider == "postgres")
        {
            return (DispatchPersistenceProvider.PostgreSql, persistence.ConnectionString, null);
        }

        var path = persistence.SqlitePath;
        string? temporary = null;
        if (string.IsNullOrEmpty(path))
        {
            temporary = path = TemporaryDatabase.NewPath("state");
        }
        return (DispatchPersistenceProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path }.ConnectionString, temporary);
    }
}
