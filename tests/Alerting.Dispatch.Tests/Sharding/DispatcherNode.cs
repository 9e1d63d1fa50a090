using Akka.Actor;
using Akka.Cluster;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Sharding;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>A dispatcher node for tests: its own ActorSystem (a cluster member on loopback) running a <see cref="ShardedDispatcher"/>.</summary>
internal sealed class DispatcherNode : IAsyncDisposable
{
    private DispatcherNode(ActorSystem system, ShardedDispatcher dispatcher)
    {
        System = system;
        Dispatcher = dispatcher;
    }

    public ActorSystem System { get; }

    public ShardedDispatcher Dispatcher { get; }

    public Address Address => Cluster.Get(System).SelfAddress;

    /// <summary>The node's ActorSystem configuration: cluster on loopback, the given persistence, test timings.</summary>
    public static Config Config(Config persistence) => ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.cluster.sharding.state-store-mode = ddata
            akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
            akka.cluster.split-brain-resolver.active-strategy = keep-majority
            akka.cluster.split-brain-resolver.stable-after = 3s
            akka.kafka.committer.max-interval = 200ms
            alerting.dispatch.sharding.restart.min-backoff = 200ms
            alerting.dispatch.sharding.ask-timeout = 10s
            """).WithFallback(persistence);

    /// <summary>Starts a node that joins <paramref name="seed"/> (or itself), waits until it is Up, then starts its dispatcher.</summary>
    public static async Task<DispatcherNode> StartAsync(Config config, DispatchSettings settings, Address? seed = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var system = ActorSystem.Create("alerting", config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(seed ?? cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60));
        var dispatcher = await ShardedDispatcher.StartAsync(system, settings, DispatchShardingSettings.Create(system.Settings.Config), logger ?? NullLogger.Instance);
        return new DispatcherNode(system, dispatcher);
    }

    /// <summary>Stops the dispatcher gracefully, then leaves the cluster and terminates.</summary>
    public async Task StopAsync()
    {
        await Dispatcher.StopAsync(TimeSpan.FromSeconds(10));
        await CoordinatedShutdown.Get(System).Run(CoordinatedShutdown.ClusterLeavingReason.Instance);
    }

    /// <summary>Terminates the ActorSystem at once, as a crash: no leave, no hand-off, nothing drained.</summary>
    public Task KillAsync() => System.Terminate();

    public async ValueTask DisposeAsync()
    {
        if (!System.WhenTerminated.IsCompleted)
        {
            await System.Terminate();
        }
    }
}
