using System.Globalization;
using System.Text;
using Akka.Actor;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Rules;
using Alerting.Rules.Live;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using SourcePartition = Alerting.Rules.SourcePartition;

namespace Alerting.IntegrationTests;

/// <summary>
/// Rule sets changed while the alert application runs, over the embedded broker with checkpoints in PostgreSQL: a
/// version published on the control topic mid-stream takes over at its effective event time in every partition,
/// rules kept with their id and version keep their partial matches, a killed run replays to the same alert ids,
/// and a refused version changes nothing.
/// </summary>
public sealed class LiveRulesSpec(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly ActorSystem _system = CheckpointSystems.Postgres("live-rules-spec", postgres.ConnectionString);
    private readonly HashSet<string> _created = [];
    private const int Partitions = 4;
    private const int Devices = 120;
    private const long StepMs = 5_000;
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);

    // the new version takes effect at device 60's first event (nominal); the input is produced in three parts around it
    private static readonly long EffectiveAt = Start.AddMilliseconds(60 * StepMs).ToUnixTimeMilliseconds();

    // version 1: "ab" changes (new version, new alert type), "ca" stays as it is, "t5" is removed
    private static readonly RuleInstance[] NewRules =
    [
        new("ab", "fault-pair", Params(("codeA", 101L), ("codeB", 102L), ("window", "1m"), ("alertType", "FAULT_PAIR_V2"), ("priority", 2L)), Version: 2),
        new("ca", "fault-then-alarm", Params(("code", 103L), ("window", "1m"), ("alertType", "FAULT_ALARM"), ("priority", 3L))),
    ];

    [Fact]
    public async Task A_version_applied_mid_stream_must_take_over_at_its_effective_time_and_a_killed_run_must_replay_to_the_same_alert_ids()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = Settings(cluster, "live", checkpointInterval: TimeSpan.FromSeconds(1));
        var records = Input();
        var first = records.FindIndex(r => r.Time >= EffectiveAt - 40_000); // watermark stays well before the effective time
        var second = records.FindIndex(r => r.Time >= EffectiveAt + 60_000);

        await ProduceAsync(settings, records[..first], cts.Token);
        await using (var control = new RuleControl(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), NullLoggerFactory.Instance))
        {
            await control.StartAsync(cts.Token);
            Assert.Equal(0, control.Live.Latest.Version);
            var pipeline = Pipeline(settings, control.Live, out var application);
            await using (application)
            {
                var run = pipeline.RunAsync(CancellationToken.None);
                await WaitUntilAsync(() => pipeline.Consumed >= first && pipeline.CheckpointsTaken >= 2, run, cts.Token);

                // applied mid-stream: the partitions' watermarks are still before its effective time
                await PublishAsync(settings, new RuleSetRecord(1, EffectiveAt, NewRules), cts.Token);
                await WaitUntilAsync(() => control.Live.Latest.Version == 1, run, cts.Token);
                await ProduceAsync(settings, records[first..second], cts.Token);
                await WaitUntilAsync(() => pipeline.Consumed >= second, run, cts.Token);
                pipeline.Kill(); // the second part is matched but not all checkpointed
                await run;
            }
        }

        var ends = await ProduceAsync(settings, records[second..], cts.Token);
        await RunToEndAsync(settings, ends, cts.Token);
        var resumed = ReadAlerts(settings, cts.Token);

        // a run that had the version on the control topic from the start, uninterrupted
        var reference = Settings(cluster, "live-reference", checkpointInterval: TimeSpan.FromMilliseconds(300));
        await RunToEndAsync(reference, ends, cts.Token);
        var uninterrupted = ReadAlerts(reference, cts.Token);

        var expected = Expected(records);
        Assert.Equal(expected, uninterrupted.Select(a => (a.DeviceNumber, a.AlertType, a.RuleVersion)).Order().ToList());
        Assert.Equal(
            uninterrupted.Select(a => (a.Kind, a.AlertId)).Order(),
            resumed.Select(a => (a.Kind, a.AlertId)).Distinct().Order());
        var checkpoint = (await new AlertCheckpointStore(_system, TimeProvider.System)
            .LoadLatestAsync(settings.AlertGroupId, new SourcePartition(settings.Kafka.Topics.Events, 0), cts.Token)).Checkpoint;
        Assert.Equal(1, checkpoint?.RulesVersion);
        output.WriteLine($"{expected.Count} alerts expected; killed run gave {resumed.Count} records, {resumed.Select(a => a.AlertId).Distinct().Count()} distinct");
    }

    [Fact]
    public async Task The_control_topic_must_be_read_to_its_end_before_matching_starts_and_a_refused_version_must_change_nothing()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = Settings(cluster, "control", checkpointInterval: TimeSpan.FromSeconds(1));
        var broken = NewRules.Select(r => r.Id == "ca" ? r with { Template = "no-such-template" } : r).ToArray();
        await PublishAsync(settings, new RuleSetRecord(1, 1_000, NewRules), cts.Token);
        await PublishAsync(settings, new RuleSetRecord(2, 2_000, broken), cts.Token);

        await using var control = new RuleControl(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), NullLoggerFactory.Instance);
        await control.StartAsync(cts.Token);

        Assert.Equal(1, control.Live.Latest.Version); // read before StartAsync returned
        Assert.Equal(1, control.Refused);
        Assert.Equal([("ab", 2), ("ca", 1)], control.Live.Latest.Rules.Rules.Select(r => (r.Id, r.Version)));

        // a good version published while it follows is taken
        await PublishAsync(settings, new RuleSetRecord(3, 3_000, NewRules[..1]), cts.Token);
        while (control.Live.Latest.Version != 3)
        {
            await Task.Delay(20, cts.Token);
        }

        Assert.Equal([0L, 1L, 3L], control.Live.Versions.Select(v => v.Version));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    private static Dictionary<string, object?> Params(params (string Name, object Value)[] values) =>
        values.ToDictionary(v => v.Name, v => (object?)v.Value, StringComparer.Ordinal);

    private AlertingSettings Settings(EmbeddedKafkaCluster cluster, string name, TimeSpan checkpointInterval)
    {
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        var topics = settings.Kafka.Topics with { Alerts = "alerts-" + name, Control = "control-" + name };
        foreach (var topic in topics.All.Where(_created.Add))
        {
            cluster.CreateTopic(topic, topics.PartitionsOf(topic, Partitions));
        }

        return settings with
        {
            Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers, Topics = topics },
            AlertGroupId = "alert-" + name,
            Persistence = new PersistenceSettings("postgres", "", postgres.ConnectionString),
            AlertCheckpointInterval = checkpointInterval,
        };
    }

    private AlertGraph Pipeline(AlertingSettings settings, LiveRuleSets live, out AlertApplication application)
    {
        application = AlertApplication.Create(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), new PipelineCounters(), TimeProvider.System, NullLoggerFactory.Instance, live);
        return application.Graph;
    }

    // Runs the service's composition (control topic read first) until its checkpoints cover every partition, then stops it.
    private async Task RunToEndAsync(AlertingSettings settings, IReadOnlyDictionary<int, long> ends, CancellationToken cancellationToken)
    {
        await using var control = new RuleControl(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), NullLoggerFactory.Instance);
        if (settings.AlertGroupId.EndsWith("-reference", StringComparison.Ordinal))
        {
            await PublishAsync(settings, new RuleSetRecord(1, EffectiveAt, NewRules), cancellationToken);
        }

        await control.StartAsync(cancellationToken);
        Assert.Equal(1, control.Live.Latest.Version);
        var pipeline = Pipeline(settings, control.Live, out var application);
        await using (application)
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

    private sealed record InputRecord(string Device, long Time, string Json, int? Partition, int Index, int Step);

    // Even devices: Fault 101, Fault 102 20 s later (rule "ab"); odd devices: Fault 103, an Alarm 30 s later (rule
    // "ca"); device d starts at d × 5 s, each event moved back by up to 2 s (inside the 5 s disorder bound); then one
    // event per partition far ahead, to release everything.
    private static List<InputRecord> Input()
    {
        var random = new Random(5);
        var events = new List<(long Nominal, InputRecord Record)>();
        for (var d = 0; d < Devices; d++)
        {
            (string Kind, int Code, long At)[] scenario = d % 2 == 0
                ? [("Fault", 101, 0), ("Fault", 102, 20_000)]
                : [("Fault", 103, 0), ("Alarm", 0, 30_000)];
            for (var k = 0; k < scenario.Length; k++)
            {
                var (kind, code, at) = scenario[k];
                var nominal = (d * StepMs) + at;
                var time = Start.AddMilliseconds(nominal - random.Next(2_000));
                events.Add((nominal, new InputRecord(Device(d), time.ToUnixTimeMilliseconds(), Json(kind, code, time, $"d{d}-{k}", Device(d)), null, d, k)));
            }
        }

        var records = events.OrderBy(e => e.Nominal).Select(e => e.Record).ToList();
        var end = Start.AddMilliseconds((Devices * StepMs) + 600_000);
        for (var p = 0; p < Partitions; p++)
        {
            var device = (9000 + p).ToString(CultureInfo.InvariantCulture);
            records.Add(new InputRecord(device, end.ToUnixTimeMilliseconds(), Json("Heartbeat", 0, end, $"end-{p}", device), p, -1, 0));
        }

        return records;
    }

    // What the sets say, from the event times alone: a pair entirely before the effective time raises the old "ab"
    // (version 1), one entirely from it the new "ab" (version 2), one straddling it nothing (a changed rule starts
    // afresh); "ca" is kept, so every fault-then-alarm raises it, straddling or not.
    private static List<(string, string, int)> Expected(List<InputRecord> records)
    {
        var expected = new List<(string, string, int)>();
        foreach (var device in records.Where(r => r.Index >= 0).GroupBy(r => r.Index))
        {
            var first = device.Single(r => r.Step == 0).Time;
            var last = device.Single(r => r.Step == 1).Time;
            if (device.Key % 2 == 1)
            {
                expected.Add((Device(device.Key), "FAULT_ALARM", 1));
            }
            else if (last < EffectiveAt)
            {
                expected.Add((Device(device.Key), "FAULT_PAIR", 1));
            }
            else if (first >= EffectiveAt)
            {
                expected.Add((Device(device.Key), "FAULT_PAIR_V2", 2));
            }
        }

        Assert.Contains(expected, e => e.Item2 == "FAULT_PAIR");
        Assert.Contains(expected, e => e.Item2 == "FAULT_PAIR_V2");
        Assert.True(expected.Count(e => e.Item2 != "FAULT_ALARM") < Devices / 2, "no pair straddles the effective time");
        return [.. expected.Order()];
    }

    private static string Json(string kind, int code, DateTimeOffset time, string id, string device) => EventTopics.Json(kind, code, time, id, device);

    private static async Task PublishAsync(AlertingSettings settings, RuleSetRecord record, CancellationToken cancellationToken)
    {
        using var producer = KafkaClients.ProducerBuilder<string, byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build();
        await producer.ProduceAsync(new TopicPartition(settings.Kafka.Topics.Control, 0), new Message<string, byte[]> { Key = record.Key, Value = record.ToBytes() }, cancellationToken);
    }

    private static Task<IReadOnlyDictionary<int, long>> ProduceAsync(AlertingSettings settings, IEnumerable<InputRecord> records, CancellationToken cancellationToken) =>
        EventTopics.ProduceAsync(settings, records.Select(r => (r.Device, r.Json, r.Partition)), cancellationToken);

    private static List<AlertMessage> ReadAlerts(AlertingSettings settings, CancellationToken cancellationToken) =>
        EventTopics.ReadAlerts(settings, Partitions, cancellationToken);
}
