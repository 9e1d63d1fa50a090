using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Benchmarks.Harness;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Sharding;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// How long a device shard takes to answer on its new node after the node hosting it died. Three cluster nodes in this
/// process (a seed that hosts no shard, the owner, the heir) run the device shard region on one durable PostgreSQL
/// database. The owner is given one shard (as Kafka's assignment of its partition would) and 10,000 of its devices
/// (1,000 with <c>--quick</c>) each hold an alert with a long delay, so all of them are remembered. Then the owner's
/// ActorSystem is terminated without leaving; the split-brain resolver downs it (stable-after 2 s) and the heir is
/// given the partition at once (the Kafka group's own session timeout is not part of the figure).
/// <c>shard_handoff_seconds</c>: from the kill until a command for one of the shard's devices is acknowledged on the
/// heir; <c>shard_handoff_all_entities_seconds</c>: until every remembered entity of the shard runs there again. Most
/// of it is the failure detector noticing the dead node (Akka's default acceptable heartbeat pause) and the split-brain
/// resolver's stable-after; the recovery of the shard's entities (in batches) is the rest.
/// </summary>
public sealed class HandoffBenchmark : IMacroBenchmark
{
    private const int Partitions = 16;
    private const int Shard = 3;
    private const string TypeName = "device";

    /// <inheritdoc />
    public string Name => "dispatch-handoff";

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var server = context.PostgresConnectionString
            ?? throw new InvalidOperationException("The handoff benchmark needs PostgreSQL: set ALERTING_TEST_POSTGRES.");
        var database = string.Create(CultureInfo.InvariantCulture, $"alerting_bench_{Guid.NewGuid():N}");
        await ExecuteAsync(server, $"CREATE DATABASE \"{database}\"", cancellationToken);
        try
        {
            var connection = new NpgsqlConnectionStringBuilder(server) { Database = database }.ConnectionString;
            return await RunInAsync(connection, context, cancellationToken);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyDictionary<string, double>> RunInAsync(string connection, BenchContext context, CancellationToken ct)
    {
        var count = context.Size(10_000, 1_000);
        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = ERROR
                akka.remote.log-remote-lifecycle-events = off
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.cluster.sharding.state-store-mode = ddata
                akka.cluster.downing-provider-class = "Akka.Cluster.SBR.SplitBrainResolverProvider, Akka.Cluster"
                akka.cluster.split-brain-resolver.active-strategy = keep-majority
                akka.cluster.split-brain-resolver.stable-after = 2s
                """)
            .WithFallback(DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, connection));
        var extractor = new KafkaShardMessageExtractor(Partitions);
        var devices = Enumerable.Range(0, int.MaxValue)
            .Select(i => string.Create(CultureInfo.InvariantCulture, $"handoff-device-{i}"))
            .Where(d => extractor.PartitionOf(d) == Shard)
            .Take(count)
            .ToList();

        var seed = await StartNodeAsync(config, null, ct);
        // The owner dies without its coordinated shutdown: no leave, no hand-off.
        var owner = await StartNodeAsync(ConfigurationFactory.ParseString("akka.coordinated-shutdown.run-by-actor-system-terminate = off").WithFallback(config), seed.Address, ct);
        var heir = await StartNodeAsync(config, seed.Address, ct);
        try
        {
            var regions = new Dictionary<ActorSystem, IActorRef>();
            foreach (var node in new[] { seed, owner, heir })
            {
                var output = node.System.ActorOf(Props.Create(() => new IgnoringOutput()), "handoff-output");
                regions[node.System] = await DeviceShardRegion.StartAsync(node.System, DispatchShardingSettings.Default, extractor, output,
                    DeviceEntitySettings.Default with { PassivateAfter = TimeSpan.Zero }, null, NullLogger.Instance);
            }
            await new KafkaShardAllocation(owner.System, TypeName, NullLogger.Instance).AssignedAsync([Shard]);

            // Every device holds an alert for an hour: all of them stay up, remembered by their shard on the owner.
            var fill = Stopwatch.StartNew();
            var ownerRegion = regions[owner.System];
            await Source.From(devices)
                .SelectAsyncUnordered(256, d => ownerRegion.Ask<DeviceCommandAck>(
                    new DeviceEnvelope(d, new AlertCommand(Alert(d))), TimeSpan.FromSeconds(60), ct))
                .RunWith(Sink.Ignore<DeviceCommandAck>(), owner.System.Materializer());
            var hosted = await EntitiesAsync(ownerRegion);
            if (hosted < count)
            {
                throw new InvalidOperationException($"The owner hosts {hosted} of the shard's {count} entities.");
            }
            context.Log.WriteLine($"[handoff] {count:N0} devices of shard {Shard} hold an alert on the owner ({fill.Elapsed.TotalSeconds:F1}s to fill)");

            var clock = Stopwatch.StartNew();
            await owner.System.Terminate();
            await new KafkaShardAllocation(heir.System, TypeName, NullLogger.Instance).AssignedAsync([Shard]);
            var heirRegion = regions[heir.System];
            var probe = devices[^1];
            while (true)
            {
                ct.ThrowIfCancellationRequested();
                try
                {
                    var ack = await heirRegion.Ask<DeviceCommandAck>(
                        new DeviceEnvelope(probe, new WorkOrderCommand("handoff-" + probe, WorkOrderStatus.Opened)), TimeSpan.FromSeconds(2), ct);
                    if (ack.DeviceId == probe)
                    {
                        break;
                    }
                }
                catch (AskTimeoutException)
                {
                    // Not there yet: the owner is not downed, or the shard is still starting.
                }
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new InvalidOperationException("The shard did not answer on the heir within 5 minutes.");
                }
            }
            var answered = clock.Elapsed;
            while (await EntitiesAsync(heirRegion) < count)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(5))
                {
                    throw new InvalidOperationException("The shard's entities did not all start on the heir within 5 minutes.");
                }
                await Task.Delay(50, ct);
            }
            var all = clock.Elapsed;
            context.Log.WriteLine($"[handoff] owner killed: shard {Shard} answered on the heir after {answered.TotalSeconds:F2}s, " +
                $"all {count:N0} remembered entities running there after {all.TotalSeconds:F2}s");
            return new Dictionary<string, double>
            {
                ["shard_handoff_seconds"] = Math.Round(answered.TotalSeconds, 2),
                ["shard_handoff_all_entities_seconds"] = Math.Round(all.TotalSeconds, 2),
                ["shard_handoff_devices"] = count,
            };
        }
        finally
        {
            await Task.WhenAll(new[] { heir, owner, seed }.Select(n => n.System.Terminate()));
        }
    }

    private static AlertMessage Alert(string device) => new()
    {
        Kind = AlertKind.Generate,
        DeviceNumber = device,
        AlertId = "handoff-" + device,
        AlertType = "HANDOFF",
        AlertTime = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero),
        Info = "bench",
        DelayMs = (long)TimeSpan.FromHours(1).TotalMilliseconds,
        Priority = 1,
        RuleId = "bench",
        RuleVersion = 1,
    };

    /// <summary>Entities of <see cref="Shard"/> running in <paramref name="region"/>.</summary>
    private static async Task<int> EntitiesAsync(IActorRef region)
    {
        var state = await region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10));
        return state.Shards.Where(s => s.ShardId == KafkaShardMessageExtractor.ShardIdOf(Shard)).Sum(s => s.EntityIds.Count);
    }

    private static async Task<(ActorSystem System, Address Address)> StartNodeAsync(Config config, Address? seed, CancellationToken ct)
    {
        var system = ActorSystem.Create("alerting", config);
        var cluster = Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        cluster.RegisterOnMemberUp(() => up.TrySetResult());
        cluster.Join(seed ?? cluster.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        return (system, cluster.SelfAddress);
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>Takes the entities' dispatches and drops them (none is due during the benchmark).</summary>
    private sealed class IgnoringOutput : ReceiveActor
    {
        public IgnoringOutput() => ReceiveAny(_ => { });
    }
}
