using System.Diagnostics;
using System.Globalization;
using Alerting.Benchmarks.Harness;
using Akka.Actor;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Sharding;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Akka;
using Akka.Persistence;
using Akka.Streams;
using Akka.Streams.Dsl;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// Alerts/s through the device shard region of one self-joined node (embedded broker in, Akka.Persistence.Sql on
/// PostgreSQL, dispatch topic out) at 100,000 devices (<c>--dispatch-devices N</c>), beside two baselines measured in
/// the same run and database: plain persistent actors writing the same number of events through the same journal with
/// <c>PersistAllAsync</c> (<c>journal_persist_all_per_sec</c>), and raw binary COPY of as many rows into a table shaped
/// like the journal (<c>journal_copy_rows_per_sec</c>).
/// The alert records (two per device, no delay) are produced before the dispatcher starts, in the mix 70% new alerts
/// (dispatched), 10% repeats of an alert already dispatched (dropped as duplicates, nothing persisted), 10% alerts
/// covered by an open higher-priority alert (dropped, the drop persisted) and 10% revokes of a dispatched alert (a
/// revoke sent): <see cref="Mix"/>. The clock runs from the dispatcher's first record to the moment every one of them
/// has had its effect and every dispatch and revoke is produced. A dispatch costs two journal events (dispatched,
/// then acknowledged by Kafka), and each device one recovery (its first touch).
/// Then, on the same running dispatcher, alerts of new devices with a 500 ms delay are produced at half the measured rate:
/// <c>dispatch_latency_p99_ms</c> is how long after its delay such an alert's dispatch is read from the dispatch topic.
/// </summary>
public sealed class DispatchBenchmark : IMacroBenchmark
{
    private const int Partitions = 16;

    /// <summary>The delay the latency phase's alerts carry.</summary>
    private static readonly TimeSpan LatencyDelay = TimeSpan.FromMilliseconds(500);

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
        var devices = context.Option("--dispatch-devices", context.Size(100_000, 5_000));
        devices -= devices % Mix.Block; // whole blocks, so the shares are exact
        var alerts = devices * 2;
        var expected = Mix.Expected(devices);
        var settings = new DispatchSettings
        {
            BootstrapServers = cluster.BootstrapServers,
            GroupId = "bench-dispatch",
            AlertsTopic = "bench-alerts",
            WorkOrdersTopic = "bench-work-orders",
            DispatchTopic = "bench-dispatch",
            SessionTimeout = TimeSpan.FromSeconds(6),
            HeartbeatInterval = TimeSpan.FromSeconds(1),
            // As the service's default alerting.kafka.fetch-max-wait.
            ConfigureConsumer = (config, _) => config.Set("fetch.wait.max.ms", "100"),
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
            while (!expected.ReachedBy(dispatcher.Counters))
            {
                await Task.Delay(5, ct);
                ThrowIfStopped(dispatcher);
            }
            var elapsed = sw.Elapsed;
            var cpuUsed = Process.GetCurrentProcess().TotalProcessorTime - cpu;
            var rate = alerts / elapsed.TotalSeconds;
            var journalEvents = dispatcher.Counters.JournalEvents;
            context.Log.WriteLine($"[dispatch] {alerts:N0} alert records ({expected}) through the device shard region in {elapsed.TotalSeconds:F1}s: {rate:N0} alerts/s " +
                $"({alerts / cpuUsed.TotalSeconds:N0} per CPU-second of this process, broker included); {journalEvents:N0} journal events");

            var latencyCount = (int)Math.Min(context.Size(20_000, 2_000), Math.Max(200, rate / 2 * 20));
            var (p50, p99) = await LatencyAsync(settings, rate / 2, latencyCount, LatencyDelay, ct);
            context.Log.WriteLine($"[dispatch] {latencyCount:N0} alerts with a {LatencyDelay.TotalMilliseconds:N0} ms delay at {rate / 2:N0}/s (half the rate): " +
                $"dispatched {p50:N1} ms (p50), {p99:N1} ms (p99) past their delay");
            await dispatcher.StopAsync(TimeSpan.FromSeconds(30));

            var eventsPerAlert = (double)journalEvents / alerts;
            var persistAll = await PersistAllBaselineAsync(system, devices, (int)journalEvents, ct);
            context.Log.WriteLine($"[dispatch] plain PersistAllAsync actors on the same journal: {persistAll:N0} events/s = {persistAll / eventsPerAlert:N0} alerts/s at " +
                $"{eventsPerAlert:F2} events per alert; the dispatcher reaches {rate * eventsPerAlert / persistAll:P0} of it");
            var copy = await CopyBaselineAsync(dataSource, (int)journalEvents, ct);
            context.Log.WriteLine($"[dispatch] raw COPY into a table like the journal: {copy:N0} rows/s");
            return new Dictionary<string, double>
            {
                ["dispatch_alerts_per_sec"] = Math.Round(rate),
                ["dispatch_alerts_per_cpu_sec"] = Math.Round(alerts / cpuUsed.TotalSeconds),
                ["dispatch_latency_p50_ms"] = Math.Round(p50, 1),
                ["dispatch_latency_p99_ms"] = Math.Round(p99, 1),
                ["dispatch_journal_events_per_alert"] = Math.Round(eventsPerAlert, 3),
                ["journal_persist_all_per_sec"] = Math.Round(persistAll),
                ["journal_copy_rows_per_sec"] = Math.Round(copy),
                ["dispatch_vs_persist_all"] = Math.Round(rate * eventsPerAlert / persistAll, 3),
                ["dispatch_devices"] = devices,
                ["dispatch_mix_new"] = expected.Dispatched,
                ["dispatch_mix_repeat"] = expected.Repeats,
                ["dispatch_mix_covered"] = expected.Covered,
                ["dispatch_mix_revoke"] = expected.Revoked,
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

    /// <summary>
    /// Latency past the configured delay: <paramref name="count"/> alerts of new devices, each with <paramref name="delay"/>,
    /// produced at <paramref name="rate"/> per second into the running dispatcher; each one's latency is the time from its
    /// produce call to its dispatch record read back from the dispatch topic, minus the delay. Returns p50 and p99 in ms.
    /// </summary>
    private static async Task<(double P50, double P99)> LatencyAsync(DispatchSettings settings, double rate, int count, TimeSpan delay, CancellationToken ct)
    {
        var sent = new System.Collections.Concurrent.ConcurrentDictionary<string, long>(StringComparer.Ordinal);
        var latencies = new List<double>(count);
        var consumerConfig = KafkaClients.ConsumerConfig(settings.BootstrapServers, "bench-latency-reader", settings.SessionTimeout, settings.HeartbeatInterval);
        consumerConfig.FetchWaitMaxMs = 5; // the reader's own wait stays out of the figure
        using var consumer = KafkaClients.ConsumerBuilder<string, string>(consumerConfig).SetLogHandler((_, _) => { }).Build();
        var partitions = Enumerable.Range(0, Partitions).Select(p => new TopicPartition(settings.DispatchTopic, p)).ToList();
        consumer.Assign(partitions.Select(tp => new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High)));
        var reader = Task.Factory.StartNew(() =>
        {
            var deadline = Stopwatch.StartNew();
            while (latencies.Count < count && deadline.Elapsed < TimeSpan.FromSeconds(120) && !ct.IsCancellationRequested)
            {
                var record = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (record?.Message?.Value is not { } value)
                {
                    continue;
                }
                var now = Stopwatch.GetTimestamp();
                if (DispatchJson.ParseDispatch(value) is { Kind: DispatchKind.Dispatch } d && sent.TryRemove(d.AlertId, out var at))
                {
                    latencies.Add(Stopwatch.GetElapsedTime(at, now).TotalMilliseconds - delay.TotalMilliseconds);
                }
            }
        }, ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        using var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(settings.BootstrapServers))
            .SetLogHandler((_, _) => { })
            .Build();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < count; i++)
        {
            var due = TimeSpan.FromSeconds(i / rate);
            if (due > clock.Elapsed)
            {
                await Task.Delay(due - clock.Elapsed, ct);
            }
            var device = string.Create(CultureInfo.InvariantCulture, $"latency-device-{i}");
            var id = string.Create(CultureInfo.InvariantCulture, $"latency-alert-{i}");
            var message = new AlertMessage
            {
                Kind = AlertKind.Generate,
                DeviceNumber = device,
                AlertId = id,
                AlertType = "LATENCY",
                AlertTime = DateTimeOffset.UtcNow,
                Info = "bench",
                DelayMs = (long)delay.TotalMilliseconds,
                Priority = 1,
                RuleId = "bench",
                RuleVersion = 1,
            };
            sent[id] = Stopwatch.GetTimestamp();
            producer.Produce(settings.AlertsTopic, new Message<string, string> { Key = device, Value = DispatchJson.Write(message) });
        }
        producer.Flush(ct);
        await reader;
        if (latencies.Count < count)
        {
            throw new InvalidOperationException($"Only {latencies.Count} of {count} delayed alerts were dispatched within 120 s.");
        }
        latencies.Sort();
        return (latencies[(int)(latencies.Count * 0.50)], latencies[Math.Min(latencies.Count - 1, (int)Math.Ceiling(latencies.Count * 0.99) - 1)]);
    }

    /// <summary>Two alert records per device (<see cref="Mix"/>), no delay; every first record before every second one.</summary>
    private static async Task ProduceAlertsAsync(string bootstrapServers, string topic, int devices, int alerts, CancellationToken ct)
    {
        using var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(bootstrapServers))
            .SetLogHandler((_, _) => { })
            .Build();
        var time = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
        var failed = 0;
        for (var i = 0; i < alerts; i++)
        {
            var message = Mix.Record(i % devices, i / devices, time.AddMilliseconds(i));
            var device = message.DeviceNumber;
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

    /// <summary>
    /// Events/s of plain persistent actors on the dispatcher's journal (same plugin, same database, same node):
    /// <paramref name="events"/> commands over <paramref name="devices"/> new actors (each recovers on its first
    /// command, as a device entity does), each persisting one event of dispatcher size with <c>PersistAllAsync</c> and
    /// answering, <see cref="Partitions"/> × 32 commands in flight as the delivery keeps.
    /// </summary>
    private static async Task<double> PersistAllBaselineAsync(ActorSystem system, int devices, int events, CancellationToken ct)
    {
        var payload = new byte[300];
        new Random(7).NextBytes(payload);
        var actors = new IActorRef[devices];
        for (var d = 0; d < devices; d++)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"baseline-device-{d}");
            actors[d] = system.ActorOf(Props.Create(() => new PersistAllActor(id)));
        }
        var sw = Stopwatch.StartNew();
        await Source.From(Enumerable.Range(0, events))
            .SelectAsyncUnordered(Partitions * 32, k => actors[k % devices].Ask<Done>(new[] { payload }, TimeSpan.FromSeconds(60), ct))
            .RunWith(Sink.Ignore<Done>(), system.Materializer());
        var elapsed = sw.Elapsed;
        foreach (var actor in actors)
        {
            actor.Tell(PoisonPill.Instance);
        }
        return events / elapsed.TotalSeconds;
    }

    /// <summary>Rows/s of binary COPY (batches of 1,000) into a table shaped like the journal, nothing else.</summary>
    private static async Task<double> CopyBaselineAsync(NpgsqlDataSource dataSource, int rows, CancellationToken ct)
    {
        await using (var create = dataSource.CreateCommand("CREATE TABLE raw_device_journal (LIKE device_journal INCLUDING ALL)"))
        {
            await create.ExecuteNonQueryAsync(ct);
        }
        var payload = new byte[300];
        new Random(7).NextBytes(payload);
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = DateTime.UtcNow.Ticks;
        var sw = Stopwatch.StartNew();
        for (var start = 0; start < rows; start += 1000)
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY raw_device_journal (created, deleted, persistence_id, sequence_number, message, manifest, identifier, writer_uuid) FROM STDIN (FORMAT BINARY)", ct);
            for (var k = start; k < Math.Min(rows, start + 1000); k++)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(now, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean, ct);
                await importer.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"copy-device-{k % 100_000}"), NpgsqlDbType.Text, ct);
                await importer.WriteAsync((long)(k / 100_000) + 1, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(payload, NpgsqlDbType.Bytea, ct);
                await importer.WriteAsync("AlertDispatched.v1", NpgsqlDbType.Text, ct);
                await importer.WriteAsync(4710, NpgsqlDbType.Integer, ct);
                await importer.WriteAsync("copy", NpgsqlDbType.Text, ct);
            }
            await importer.CompleteAsync(ct);
        }
        return rows / sw.Elapsed.TotalSeconds;
    }

    /// <summary>A plain persistent actor: persists what it is sent with <c>PersistAllAsync</c>, answers <see cref="Done"/> once written.</summary>
    private sealed class PersistAllActor(string persistenceId) : UntypedPersistentActor
    {
        public override string PersistenceId { get; } = persistenceId;

        protected override void OnRecover(object message)
        {
        }

        protected override void OnCommand(object message)
        {
            if (message is byte[][] events)
            {
                var sender = Sender;
                var left = events.Length;
                PersistAllAsync(events, _ =>
                {
                    if (--left == 0)
                    {
                        sender.Tell(Done.Instance);
                    }
                });
            }
        }
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// The records of the benchmark, in blocks of <see cref="Block"/> devices with two records each: devices 0–3 get
    /// two new alerts (types T0, T1); every other device first gets a new alert of type T0 at priority 5 that covers type
    /// C, then devices 4–5 an alert of type C (covered), 6–7 the same T0 alert again (a repeat) and 8–9 a revoke of it.
    /// Of each block's 20 records: 14 new, 2 repeats, 2 covered, 2 revokes.
    /// </summary>
    private static class Mix
    {
        public const int Block = 10;

        public static AlertMessage Record(int device, int second, DateTimeOffset time)
        {
            var id = string.Create(CultureInfo.InvariantCulture, $"device-{device}");
            var slot = device % Block;
            var first = AlertOf(id, string.Create(CultureInfo.InvariantCulture, $"alert-{device}-0"), "T0", time, slot < 4 ? 1 : 5, slot < 4 ? null : ["C"]);
            if (second == 0)
            {
                return first;
            }
            return slot switch
            {
                < 4 => AlertOf(id, string.Create(CultureInfo.InvariantCulture, $"alert-{device}-1"), "T1", time, 1, null),
                < 6 => AlertOf(id, string.Create(CultureInfo.InvariantCulture, $"alert-{device}-1"), "C", time, 1, null),
                < 8 => first,
                _ => new AlertMessage { Kind = AlertKind.Revoke, DeviceNumber = id, AlertId = first.AlertId, AlertType = "T0", AlertTime = time, RuleId = "bench", RuleVersion = 1 },
            };
        }

        public static Outcome Expected(int devices)
        {
            var blocks = devices / Block;
            return new Outcome(blocks * 14, blocks * 2, blocks * 2, blocks * 2);
        }

        private static AlertMessage AlertOf(string device, string alertId, string type, DateTimeOffset time, int priority, IReadOnlyList<string>? overrides) => new()
        {
            Kind = AlertKind.Generate,
            DeviceNumber = device,
            AlertId = alertId,
            AlertType = type,
            AlertTime = time,
            Info = "bench",
            DelayMs = 0,
            Priority = priority,
            Overrides = overrides,
            RuleId = "bench",
            RuleVersion = 1,
        };
    }

    /// <summary>What the records of <see cref="Mix"/> come to once the dispatcher has taken them all.</summary>
    private sealed record Outcome(long Dispatched, long Repeats, long Covered, long Revoked)
    {
        /// <summary>Every record had its effect and every dispatch and revoke was produced.</summary>
        public bool ReachedBy(DispatchCounters counters) =>
            counters.Dispatched >= Dispatched && counters.Revoked >= Revoked
            && counters.Dropped(DropReason.Duplicate) >= Repeats && counters.Dropped(DropReason.Covered) >= Covered
            && counters.Produced >= Dispatched + Revoked;

        public override string ToString() =>
            string.Create(CultureInfo.InvariantCulture, $"{Dispatched:N0} new, {Repeats:N0} repeats, {Covered:N0} covered, {Revoked:N0} revokes");
    }
}
