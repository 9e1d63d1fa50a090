using System.Diagnostics;
using System.Globalization;
using Alerting.Benchmarks.Harness;
using Akka.Actor;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Sharding;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Persistence;
using Alerting.Persistence.Postgres;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// Alerts/s through the device shard region of one self-joined node (embedded broker in, Akka.Persistence.Sql on
/// PostgreSQL, dispatch topic out) at 100,000 devices, against the raw batched append rate of the project's own journal
/// tables measured in the same run and database.
/// The alerts (two per device, distinct types, no delay, so every one is dispatched) are produced before the
/// dispatcher starts; the clock runs from its first record to the last dispatch committed and produced. Each alert
/// costs two journal events (dispatched, then acknowledged by Kafka). The baseline appends the same number of events
/// of the same size over the same devices, in batches of 1,000 with one consumer offset each, as fast as it can.
/// </summary>
public sealed class DispatchBenchmark : IMacroBenchmark
{
    private const int Partitions = 16;

    /// <inheritdoc />
    public string Name => "dispatch";

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var server = context.PostgresConnectionString
            ?? throw new InvalidOperationException("The dispatch benchmark needs PostgreSQL: set ALERTING_TEST_POSTGRES.");
        var database = string.Create(CultureInfo.InvariantCulture, $"alerting_bench_{Guid.NewGuid():N}");
        await ExecuteAsync(server, $"CREATE DATABASE \"{database}\"", cancellationToken);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(server) { Database = database };
            await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            await using var cluster = EmbeddedKafkaCluster.Start(1);
            return await RunInAsync(dataSource, builder.ConnectionString, cluster, context, cancellationToken);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyDictionary<string, double>> RunInAsync(NpgsqlDataSource dataSource, string connection, EmbeddedKafkaCluster cluster,
        BenchContext context, CancellationToken ct)
    {
        var devices = context.Size(100_000, 5_000);
        var alerts = devices * 2;
        var store = new PostgresEventStore(dataSource);
        await store.ApplySchemaAsync(ct);
        var settings = new DispatchSettings
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "bench-dispatch",
            AlertsTopic = "bench-alerts",
            WorkOrdersTopic = "bench-work-orders",
            DispatchTopic = "bench-dispatch",
            SessionTimeout = TimeSpan.FromSeconds(6),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
        };
        cluster.CreateTopic(settings.AlertsTopic, Partitions);
        cluster.CreateTopic(settings.WorkOrdersTopic, Partitions);
        cluster.CreateTopic(settings.DispatchTopic, Partitions);

        var produce = Stopwatch.StartNew();
        await ProduceAlertsAsync(cluster.BootstrapServers, settings.AlertsTopic, devices, alerts, ct);
        context.Log.WriteLine($"[dispatch] produced {alerts:N0} alerts for {devices:N0} devices in {produce.Elapsed.TotalSeconds:F1}s");

        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.cluster.sharding.state-store-mode = ddata
                """)
            .WithFallback(DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, connection));
        using var system = ActorSystem.Create("alerting", config);
        var node = Akka.Cluster.Cluster.Get(system);
        var up = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        node.RegisterOnMemberUp(() => up.TrySetResult());
        node.Join(node.SelfAddress);
        await up.Task.WaitAsync(TimeSpan.FromSeconds(60), ct);
        var dispatcher = await ShardedDispatcher.StartAsync(system, settings, DispatchShardingSettings.Create(system.Settings.Config), NullLogger.Instance);
        try
        {
            while (dispatcher.Counters.Received == 0)
            {
                await Task.Delay(5, ct);
                ThrowIfStopped(dispatcher);
            }
            var sw = Stopwatch.StartNew();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            while (dispatcher.Counters.Dispatched < alerts)
            {
                await Task.Delay(5, ct);
                ThrowIfStopped(dispatcher);
            }
            var elapsed = sw.Elapsed;
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var rate = alerts / elapsed.TotalSeconds;
            await dispatcher.StopAsync(TimeSpan.FromSeconds(30));
            var journalEvents = dispatcher.Counters.JournalEvents;
            context.Log.WriteLine($"[dispatch] {alerts:N0} alerts dispatched through the device shard region in {elapsed.TotalSeconds:F1}s: {rate:N0} alerts/s " +
                $"({alerts / cpuUsed.TotalSeconds:N0} per CPU-second of this process, broker included); {journalEvents:N0} journal events");

            var eventsPerAlert = (double)journalEvents / alerts;
            var baseline = await BaselineAsync(store, devices, (int)journalEvents, ct);
            context.Log.WriteLine($"[dispatch] journal raw batched append: {baseline:N0} events/s = {baseline / eventsPerAlert:N0} alerts/s at " +
                $"{eventsPerAlert:F2} events per alert; the dispatcher reaches {rate * eventsPerAlert / baseline:P0} of it");
            return new Dictionary<string, double>
            {
                ["dispatch_alerts_per_sec"] = Math.Round(rate),
                ["dispatch_journal_baseline_per_sec"] = Math.Round(baseline),
                ["dispatch_journal_events_per_alert"] = Math.Round(eventsPerAlert, 3),
                ["dispatch_vs_journal_baseline"] = Math.Round(rate * eventsPerAlert / baseline, 3),
                ["dispatch_devices"] = devices,
            };
        }
        finally
        {
            await system.Terminate();
        }
    }

    private static void ThrowIfStopped(ShardedDispatcher dispatcher)
    {
        if (dispatcher.Completion.IsCompleted)
        {
            dispatcher.Completion.GetAwaiter().GetResult();
            throw new InvalidOperationException("The dispatcher stopped before dispatching every alert.");
        }
    }

    /// <summary>Two alerts per device (types T0 and T1), no delay; device d's alerts go to d's partition.</summary>
    private static async Task ProduceAlertsAsync(string bootstrapServers, string topic, int devices, int alerts, CancellationToken ct)
    {
        using var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(bootstrapServers))
            .SetLogHandler((_, _) => { })
            .Build();
        var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var failed = 0;
        for (var i = 0; i < alerts; i++)
        {
            var device = string.Create(CultureInfo.InvariantCulture, $"device-{i % devices}");
            var message = new AlertMessage
            {
                Kind = AlertKind.Generate,
                DeviceNumber = device,
                AlertId = string.Create(CultureInfo.InvariantCulture, $"alert-{i}"),
                AlertType = string.Create(CultureInfo.InvariantCulture, $"T{i / devices}"),
                AlertTime = time.AddMilliseconds(i),
                Info = "bench",
                DelayMs = 0,
                Priority = 1,
                RuleId = "bench",
                RuleVersion = 1,
            };
            var record = new Message<string, string> { Key = device, Value = DispatchJson.Write(message) };
            while (true)
            {
                try
                {
                    producer.Produce(topic, record, r =>
                    {
                        if (r.Error.IsError)
                        {
                            Interlocked.Increment(ref failed);
                        }
                    });
                    break;
                }
                catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    producer.Poll(TimeSpan.FromMilliseconds(20));
                }
            }
        }
        await Task.Run(() => producer.Flush(ct), ct);
        if (failed > 0)
        {
            throw new InvalidOperationException($"{failed} alerts could not be produced.");
        }
    }

    /// <summary>Events/s of <see cref="PostgresEventStore.WriteAsync"/> alone: <paramref name="events"/> events of dispatcher size over the same devices.</summary>
    private static async Task<double> BaselineAsync(PostgresEventStore store, int devices, int events, CancellationToken ct)
    {
        var payload = new byte[300];
        new Random(7).NextBytes(payload);
        var ids = Enumerable.Range(0, devices).Select(d => string.Create(CultureInfo.InvariantCulture, $"baseline-device-{d}")).ToArray();
        var next = new long[devices];
        var batches = new List<(List<JournalWrite>, ConsumerOffset)>();
        for (var start = 0; start < events; start += 1000)
        {
            var partition = batches.Count % Partitions;
            var batch = new List<JournalWrite>(1000);
            for (var k = start; k < Math.Min(events, start + 1000); k++)
            {
                var device = k % devices;
                batch.Add(new JournalWrite(ids[device], string.Create(CultureInfo.InvariantCulture, $"baseline-{device % Partitions}"),
                    ++next[device], "dispatch.AlertDispatched:1", payload));
            }
            batches.Add((batch, new ConsumerOffset("baseline", "alerts", partition, start + 1000)));
        }
        var sw = Stopwatch.StartNew();
        foreach (var (batch, offset) in batches)
        {
            await store.WriteAsync(batch, [offset], ct);
        }
        return events / sw.Elapsed.TotalSeconds;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
