using System.Globalization;
using System.Text;
using Akka.Actor;
using Alerting.Dispatch.Messages;
using Alerting.Enrichment;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using SourcePartition = Alerting.Rules.SourcePartition;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>
/// The alert application over the embedded broker with PostgreSQL (device configs and checkpoints): the seed's
/// scenarios give the expected alerts, and a run that is killed or stopped mid-stream and restarted gives the
/// same alert ids as one that was not.
/// </summary>
public sealed class AlertRecoverySpec(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    // The graphs of a spec run in one ActorSystem, each with its own materializer (as instances in one process would).
    private readonly ActorSystem _system = CheckpointSystems.Postgres("alert-recovery-spec", postgres.ConnectionString);
    private const int Partitions = 4;
    private readonly HashSet<string> _created = [];
    private const int Devices = 210;
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);

    // One scenario per device (device number = 1000 + index), cycling through these, 3 s apart.
    private static readonly (string Name, (string Kind, int Code, int AtSeconds)[] Events, (string Type, AlertKind Kind)[] Expected)[] Scenarios =
    [
        ("pair", [("Fault", 101, 0), ("Fault", 102, 20)], [("FAULT_PAIR", AlertKind.Generate)]),
        ("pair recovered between", [("Fault", 101, 0), ("Recover", 101, 10), ("Fault", 102, 20)], []),
        ("pair then run", [("Fault", 102, 0), ("Fault", 101, 20), ("Run", 0, 40)], [("FAULT_PAIR", AlertKind.Generate), ("FAULT_PAIR", AlertKind.Revoke)]),
        ("fault then alarm", [("Fault", 103, 0), ("Alarm", 0, 30)], [("FAULT_ALARM", AlertKind.Generate)]),
        ("fault, run, alarm", [("Fault", 103, 0), ("Run", 0, 10), ("Alarm", 0, 30)], []),
        ("threshold", [("Fault", 5, 0), ("Fault", 5, 10), ("Fault", 5, 20)], [("FAULT_REPEATED", AlertKind.Generate)]),
        ("pair too far apart", [("Fault", 101, 0), ("Fault", 102, 70)], []),
    ];

    [Fact]
    public async Task The_seed_scenarios_must_give_exactly_the_expected_alerts_enriched_from_PostgreSQL()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(4));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = Settings(cluster, "scenarios");
        var records = Input();
        var ends = await ProduceAsync(settings, records, cts.Token);

        await RunToEndAsync(settings, ends, cts.Token);

        var alerts = ReadAlerts(settings, cts.Token);
        var expected = Enumerable.Range(0, Devices)
            .SelectMany(d => Scenarios[d % Scenarios.Length].Expected.Select(x => (Device: Device(d), x.Type, x.Kind)))
            .Order()
            .ToList();
        Assert.Equal(expected, alerts.Select(a => (Device: a.DeviceNumber, a.AlertType, a.Kind)).Order().ToList());
        Assert.Equal(alerts.Count, alerts.Select(a => (a.Kind, a.AlertId)).Distinct().Count());

        // devices with an even number have a row in device_config/device_sla; the others pass with defaults
        Assert.All(alerts.Where(a => a.Kind == AlertKind.Generate), a =>
            Assert.Equal(int.Parse(a.DeviceNumber, CultureInfo.InvariantCulture) % 2 == 0, a.Info?.StartsWith("level=", StringComparison.Ordinal) == true));
    }

    [Fact]
    public async Task A_run_killed_without_draining_and_restarted_must_give_the_alert_ids_of_an_uninterrupted_run()
    {
        var (raw, distinct) = await InterruptedRunAsync("killed", kill: true);
        output.WriteLine($"killed and restarted: {raw} alert records, {distinct} distinct, {raw - distinct} raw duplicates");
    }

    [Fact]
    public async Task A_run_stopped_gracefully_and_restarted_must_give_the_alert_ids_of_an_uninterrupted_run_without_duplicates()
    {
        var (raw, distinct) = await InterruptedRunAsync("stopped", kill: false);
        output.WriteLine($"stopped and restarted: {raw} alert records, {distinct} distinct");
        Assert.Equal(distinct, raw);
    }

    [Fact]
    public async Task Records_that_do_not_decode_at_the_end_of_a_partition_must_be_dead_lettered_once_across_a_restart()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = Settings(cluster, "malformed-tail");
        var records = Input();
        for (var p = 0; p < Partitions; p++)
        {
            records.Add(new InputRecord("bad-" + p, 0, "{\"Message\":", p));
            records.Add(new InputRecord("bad-" + p, 0, "not json", p));
        }

        // the checkpoints reach each partition's end only when they cover its trailing malformed records
        await RunToEndAsync(settings, await ProduceAsync(settings, records, cts.Token), cts.Token);

        // a restart reads on from there: one more event per partition, later than everything
        var later = Start.AddMilliseconds((Devices * 3_000L) + 700_000);
        var more = Enumerable.Range(0, Partitions)
            .Select(p => new InputRecord("9100", later.ToUnixTimeMilliseconds(), Json("Heartbeat", 0, later, $"later-{p}", "9100"), p))
            .ToList();
        await RunToEndAsync(settings, await ProduceAsync(settings, more, cts.Token), cts.Token);

        var deadLetters = ReadRecords(settings, settings.Kafka.Topics.DeadLetter, cts.Token);
        Assert.Equal(2 * Partitions, deadLetters.Count);
        Assert.Equal(2 * Partitions, deadLetters.Select(r => (r.Partition, r.SourceOffset)).Distinct().Count());
    }

    [Fact]
    public Task A_second_instance_joining_mid_stream_must_take_over_partitions_with_their_state_and_the_alert_ids_must_stay_the_same() =>
        ScaleOutAsync("scaled", slowFirstStore: false);

    [Fact]
    public Task A_second_instance_joining_while_the_first_is_writing_its_checkpoints_must_take_over_with_the_same_alert_ids() =>
        ScaleOutAsync("scaled-slow", slowFirstStore: true);

    // Two instances in one group; the second joins mid-stream, so the group revokes partitions of the first and
    // hands them over. With a slow store for the first, the revocation arrives while its checkpoint writes are
    // under way: the hand-over waits for them, and nothing the first writes later replaces the second's checkpoints.
    private async Task ScaleOutAsync(string name, bool slowFirstStore)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(6));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var shared = Settings(cluster, name) with { AlertCheckpointInterval = TimeSpan.FromSeconds(1) };
        var records = Input();
        var half = records.Count / 2;
        await ProduceAsync(shared, records[..half], cts.Token);

        AlertApplication? firstResources = null;
        AlertGraph first;
        if (slowFirstStore)
        {
            first = SlowStorePipeline(shared);
        }
        else
        {
            first = Pipeline(shared, out var resources);
            firstResources = resources;
        }

        var second = Pipeline(shared, out var secondResources);
        await using (firstResources)
        await using (secondResources)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var firstRun = first.RunAsync(stop.Token);
            await WaitUntilAsync(() => first.Consumed >= half && first.CheckpointsTaken >= 2, firstRun, cts.Token);

            // the second instance joins: the group hands it some partitions, which the first checkpoints on revocation
            var secondRun = second.RunAsync(stop.Token);
            await WaitUntilAsync(() => second.CheckpointsTaken >= 1, secondRun, cts.Token);
            var ends = await ProduceAsync(shared, records[half..], cts.Token);
            await CheckpointSystems.WaitUntilCoveredAsync(_system, shared, ends, [firstRun, secondRun], cts.Token);
            await stop.CancelAsync();
            await firstRun;
            await secondRun;
            Assert.True(second.Consumed > 0, "the second instance took no partition");

            var scaled = ReadAlerts(shared, cts.Token);
            var reference = Settings(cluster, name + "-reference");
            await RunToEndAsync(reference, ends, cts.Token);
            var uninterrupted = ReadAlerts(reference, cts.Token);
            Assert.Equal(
                uninterrupted.Select(a => (a.Kind, a.AlertId)).Order(),
                scaled.Select(a => (a.Kind, a.AlertId)).Distinct().Order());
            output.WriteLine($"two instances: {scaled.Count} alert records, {scaled.Select(a => (a.Kind, a.AlertId)).Distinct().Count()} distinct");
        }
    }

    // An instance whose checkpoint writes take 400 ms each (the same PostgreSQL store, written late), no lookup.
    private AlertGraph SlowStorePipeline(AlertingSettings settings)
    {
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var store = Akka.Persistence.Persistence.Instance.Apply(_system).SnapshotStoreFor(AlertCheckpointPersistence.PluginId);
        var slow = _system.ActorOf(Props.Create(() => new SlowSnapshotWrites(store, TimeSpan.FromMilliseconds(400))));
        return new AlertGraph(_system, settings, rules, new PipelineCounters(), TimeProvider.System, NullLoggerFactory.Instance, checkpoints: new AlertCheckpointStore(slow, TimeProvider.System, TimeSpan.FromSeconds(30)));
    }

    // Runs the input in three parts with an interruption after the second (before the next checkpoint), then
    // the whole input uninterrupted in another group; the alert ids of both must be the same set.
    private async Task<(int Raw, int Distinct)> InterruptedRunAsync(string name, bool kill)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var interrupted = Settings(cluster, name) with { AlertCheckpointInterval = TimeSpan.FromSeconds(1) };
        var records = Input();
        var first = records.Count * 5 / 10;
        var second = records.Count * 7 / 10;

        var checkpoints = new AlertCheckpointStore(_system, TimeProvider.System);
        await ProduceAsync(interrupted, records[..first], cts.Token);
        var pipeline = Pipeline(interrupted, out var devices);
        await using (devices)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
            var run = pipeline.RunAsync(stop.Token);
            await WaitUntilAsync(() => pipeline.Consumed >= first && pipeline.CheckpointsTaken >= 2, run, cts.Token);

            // the second part is matched but not checkpointed when the run ends
            await ProduceAsync(interrupted, records[first..second], cts.Token);
            await WaitUntilAsync(() => pipeline.Consumed >= second, run, cts.Token);
            if (kill)
            {
                pipeline.Kill();
            }
            else
            {
                await stop.CancelAsync();
            }

            await run;
        }

        var ends = await ProduceAsync(interrupted, records[second..], cts.Token);
        await RunToEndAsync(interrupted, ends, cts.Token);
        var resumed = ReadAlerts(interrupted, cts.Token);

        var reference = Settings(cluster, name + "-reference");
        await RunToEndAsync(reference, ends, cts.Token);
        var uninterrupted = ReadAlerts(reference, cts.Token);

        Assert.NotEmpty(uninterrupted);
        Assert.Equal(uninterrupted.Count, uninterrupted.Select(a => (a.Kind, a.AlertId)).Distinct().Count());
        Assert.Equal(
            uninterrupted.Select(a => (a.Kind, a.AlertId)).Order(),
            resumed.Select(a => (a.Kind, a.AlertId)).Distinct().Order());
        Assert.NotNull((await checkpoints.LoadLatestAsync(interrupted.AlertGroupId, new SourcePartition(interrupted.Kafka.Topics.Events, 0), cts.Token)).Checkpoint);
        return (resumed.Count, resumed.Select(a => (a.Kind, a.AlertId)).Distinct().Count());
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    private AlertingSettings Settings(EmbeddedKafkaCluster cluster, string name)
    {
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        var topics = settings.Kafka.Topics with { Alerts = "alerts-" + name };
        foreach (var topic in topics.All.Where(_created.Add))
        {
            cluster.CreateTopic(topic, Partitions);
        }

        return settings with
        {
            Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers, Topics = topics },
            AlertGroupId = "alert-" + name,
            Persistence = new PersistenceSettings("postgres", "", postgres.ConnectionString),
            AlertCheckpointInterval = TimeSpan.FromMilliseconds(300),
        };
    }

    // The service's own composition (device configs and checkpoints in the configured store), device configs
    // seeded; the application is disposed by the caller once the pipeline has stopped.
    private AlertGraph Pipeline(AlertingSettings settings, out AlertApplication application)
    {
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        application = AlertApplication.Create(_system, settings, rules, new PipelineCounters(), TimeProvider.System, NullLoggerFactory.Instance);
        application.Devices.Store.UpsertAsync(
            [.. Enumerable.Range(0, Devices).Where(d => (1000 + d) % 2 == 0).Select(d => new DeviceConfig(Device(d), 1, 3, "line-" + d, "sla-" + d, []))],
            CancellationToken.None).GetAwaiter().GetResult();
        return application.Graph;
    }

    // Runs a pipeline until its checkpoints have read every partition to its end, then stops it gracefully.
    private async Task RunToEndAsync(AlertingSettings settings, IReadOnlyDictionary<int, long> ends, CancellationToken cancellationToken)
    {
        var pipeline = Pipeline(settings, out var resources);
        await using (resources)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = pipeline.RunAsync(stop.Token);
            await CheckpointSystems.WaitUntilCoveredAsync(_system, settings, ends, [run], cancellationToken);
            await stop.CancelAsync();
            await run;
        }
    }

    private static async Task WaitUntilAsync(Func<bool> condition, Task run, CancellationToken cancellationToken)
    {
        while (!condition())
        {
            Assert.False(run.IsCompleted, "the pipeline stopped on its own");
            await Task.Delay(20, cancellationToken);
        }
    }

    private static string Device(int index) => (1000 + index).ToString(CultureInfo.InvariantCulture);

    private sealed record InputRecord(string Device, long Time, string Json, int? Partition);

    // The scenarios of all devices merged by time, each event moved back by up to 3 s (inside the source's
    // bounded disorder of 5 s), then one event per partition far enough ahead to release everything.
    private static List<InputRecord> Input()
    {
        var random = new Random(11);
        var events = new List<(long Nominal, InputRecord Record)>();
        for (var d = 0; d < Devices; d++)
        {
            var (_, scenario, _) = Scenarios[d % Scenarios.Length];
            for (var k = 0; k < scenario.Length; k++)
            {
                var (kind, code, at) = scenario[k];
                var nominal = (d * 3_000L) + (at * 1_000L);
                var time = Start.AddMilliseconds(nominal - random.Next(3_000));
                events.Add((nominal, new InputRecord(Device(d), time.ToUnixTimeMilliseconds(), Json(kind, code, time, $"d{d}-{k}", Device(d)), null)));
            }
        }

        var records = events.OrderBy(e => e.Nominal).Select(e => e.Record).ToList();
        var end = Start.AddMilliseconds((Devices * 3_000L) + 600_000);
        for (var p = 0; p < Partitions; p++)
        {
            var device = (9000 + p).ToString(CultureInfo.InvariantCulture);
            records.Add(new InputRecord(device, end.ToUnixTimeMilliseconds(), Json("Heartbeat", 0, end, $"end-{p}", device), p));
        }

        return records;
    }

    private static string Json(string kind, int code, DateTimeOffset time, string id, string device) => EventTopics.Json(kind, code, time, id, device);

    // Produces the records keyed by device (the end markers to their partition); returns each partition's end offset.
    private static Task<IReadOnlyDictionary<int, long>> ProduceAsync(AlertingSettings settings, IEnumerable<InputRecord> records, CancellationToken cancellationToken) =>
        EventTopics.ProduceAsync(settings, records.Select(r => (r.Device, r.Json, r.Partition)), cancellationToken);

    private static List<AlertMessage> ReadAlerts(AlertingSettings settings, CancellationToken cancellationToken) =>
        EventTopics.ReadAlerts(settings, Partitions, cancellationToken);

    private static List<(byte[] Value, int Partition, long SourceOffset)> ReadRecords(AlertingSettings settings, string topic, CancellationToken cancellationToken) =>
        EventTopics.ReadRecords(settings, topic, Partitions, cancellationToken);
}

/// <summary>The real snapshot store, with each snapshot write held back for a while before it is made.</summary>
internal sealed class SlowSnapshotWrites : ReceiveActor
{
    public SlowSnapshotWrites(IActorRef store, TimeSpan delay)
    {
        Receive<Akka.Persistence.SaveSnapshot>(save => Context.System.Scheduler.ScheduleTellOnce(delay, store, save, Sender));
        ReceiveAny(message => store.Forward(message));
    }
}
