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
/// A rule added with a bootstrap, over the embedded broker with checkpoints in PostgreSQL: when the set that adds it
/// takes effect, each partition runs it over its history from the effective time − look-back, and it finds within the
/// look-back exactly the alerts (same ids) of a run that had the rule from the start; the alerts found in history carry
/// the header <c>alerting-bootstrap: true</c>, or are not produced when the rule suppresses them. The partition's other
/// rules go on while it bootstraps; a run killed mid-way and restarted from its checkpoints, or one whose partitions wait
/// for the hand-over (their hold full), gives the same alert ids.
/// </summary>
public sealed class BootstrapSpec(PostgresFixture postgres, ITestOutputHelper output) : IClassFixture<PostgresFixture>, IAsyncLifetime
{
    private readonly ActorSystem _system = CheckpointSystems.Postgres("bootstrap-spec", postgres.ConnectionString);
    private readonly HashSet<string> _created = [];
    private const int Partitions = 4;
    private const int Devices = 80;
    private const long StepMs = 5_000;
    private static readonly DateTimeOffset Start = DateTimeOffset.UtcNow.AddHours(-2);

    // the rule comes in at device 40's first event (nominal), looking back 100 s: devices 20–35 pair inside the look-back,
    // 36–39 straddle the effective time, 0–19 are before the look-back
    private static readonly long EffectiveAt = Start.AddMilliseconds(40 * StepMs).ToUnixTimeMilliseconds();
    private static readonly TimeSpan LookBack = TimeSpan.FromSeconds(100);

    private static readonly RuleInstance Other = new("ca", "fault-then-alarm", Params(("code", 103L), ("window", "1m"), ("alertType", "FAULT_ALARM"), ("priority", 3L)));
    private static readonly RuleInstance Boot = new("boot", "fault-pair", Params(("codeA", 201L), ("codeB", 202L), ("window", "1m"), ("alertType", "BOOT_PAIR"), ("priority", 2L)));

    [Fact]
    public async Task A_rule_bootstrapped_over_history_must_find_the_alerts_with_the_same_ids_as_a_run_that_had_it_from_the_start()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var records = Input();

        // from the start: the rule is in the first version
        var reference = Settings(cluster, "reference");
        var ends = await EventTopics.ProduceAsync(reference, records, cts.Token);
        await PublishAsync(reference, new RuleSetRecord(1, 1_000, [Other, Boot]), cts.Token);
        await RunToEndAsync(reference, ends, cts.Token);
        var all = ReadAlerts(reference, cts.Token).Where(a => a.Alert.RuleId == "boot").ToList();
        Assert.DoesNotContain(all, a => a.Bootstrap);

        // added at the effective time with a bootstrap (emit)
        var emit = Settings(cluster, "emit");
        await PublishAsync(emit, new RuleSetRecord(1, 1_000, [Other]), cts.Token);
        await PublishAsync(emit, new RuleSetRecord(2, EffectiveAt, [Other, Boot with { Bootstrap = LookBack }]), cts.Token);
        var counters = await RunToEndAsync(emit, ends, cts.Token);
        var bootstrapped = ReadAlerts(emit, cts.Token).Where(a => a.Alert.RuleId == "boot").ToList();

        var from = EffectiveAt - (long)LookBack.TotalMilliseconds;
        var withinLookBack = all.Where(a => a.Alert.FaultTime!.Value.ToUnixTimeMilliseconds() >= from).ToList();
        Assert.Equal(withinLookBack.Select(a => a.Alert.AlertId).Order(), bootstrapped.Select(a => a.Alert.AlertId).Distinct().Order());
        Assert.True(withinLookBack.Count < all.Count, "some pairs are before the look-back");
        var fromHistory = bootstrapped.Where(a => a.Alert.AlertTime.ToUnixTimeMilliseconds() < EffectiveAt).ToList();
        Assert.NotEmpty(fromHistory);
        Assert.All(fromHistory, a => Assert.True(a.Bootstrap, $"{a.Alert.DeviceNumber}: found in history without the header"));
        Assert.All(bootstrapped.Except(fromHistory), a => Assert.False(a.Bootstrap));
        Assert.Contains(bootstrapped, a => a.Alert.FaultTime!.Value.ToUnixTimeMilliseconds() < EffectiveAt && a.Alert.AlertTime.ToUnixTimeMilliseconds() >= EffectiveAt);
        Assert.Equal(Partitions, counters.Bootstraps);
        Assert.Equal(0, counters.BootstrapHoldsFull); // the other rules never waited
        Assert.True(counters.BootstrapHeld >= Partitions, $"{counters.BootstrapHeld} live elements held");
        Assert.NotEmpty(OtherAlerts(reference, cts.Token));
        Assert.Equal(OtherAlerts(reference, cts.Token), OtherAlerts(emit, cts.Token));

        // the same with bootstrap-alerts = suppress: only the live alerts
        var suppress = Settings(cluster, "suppress");
        await PublishAsync(suppress, new RuleSetRecord(1, 1_000, [Other]), cts.Token);
        await PublishAsync(suppress, new RuleSetRecord(2, EffectiveAt, [Other, Boot with { Bootstrap = LookBack, BootstrapAlerts = BootstrapAlerts.Suppress }]), cts.Token);
        await RunToEndAsync(suppress, ends, cts.Token);
        var quiet = ReadAlerts(suppress, cts.Token).Where(a => a.Alert.RuleId == "boot").ToList();
        Assert.Equal(
            withinLookBack.Select(a => a.Alert.AlertId).Except(fromHistory.Select(a => a.Alert.AlertId)).Order(),
            quiet.Select(a => a.Alert.AlertId).Distinct().Order());
        Assert.DoesNotContain(quiet, a => a.Bootstrap);
        Assert.Equal(OtherAlerts(reference, cts.Token), OtherAlerts(suppress, cts.Token));
        output.WriteLine($"from the start {all.Count} alerts, {withinLookBack.Count} within the look-back; bootstrapped {bootstrapped.Count} ({fromHistory.Count} from history); suppressed run {quiet.Count}");
    }

    [Fact]
    public async Task A_run_killed_while_rules_bootstrap_or_whose_partitions_wait_for_the_hand_over_must_give_the_same_alert_ids()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var records = Input();
        var from = EffectiveAt - (long)LookBack.TotalMilliseconds;

        // from the start, uninterrupted: the bootstrapped rule's alerts within the look-back and the other rule's (a
        // consumer group of its own: the checkpoints of the other spec's runs are in the same database)
        var reference = Settings(cluster, "kill-reference");
        var ends = await EventTopics.ProduceAsync(reference, records, cts.Token);
        await PublishAsync(reference, new RuleSetRecord(1, 1_000, [Other, Boot]), cts.Token);
        await RunToEndAsync(reference, ends, cts.Token);
        var expected = ReadAlerts(reference, cts.Token)
            .Where(a => a.Alert.RuleId != "boot" || a.Alert.FaultTime!.Value.ToUnixTimeMilliseconds() >= from)
            .Select(a => a.Alert.AlertId).Order().ToList();

        // killed once a partition has handed over (others may still be bootstrapping), then restarted from its checkpoints
        var killed = Settings(cluster, "killed");
        var bootstrapsAtKill = 0L;
        await PublishAsync(killed, new RuleSetRecord(1, 1_000, [Other]), cts.Token);
        await PublishAsync(killed, new RuleSetRecord(2, EffectiveAt, [Other, Boot with { Bootstrap = LookBack }]), cts.Token);
        await using (var control = new RuleControl(_system, killed, RuleSetLoader.Load(killed.Rules, killed.Sources), NullLoggerFactory.Instance))
        {
            await control.StartAsync(cts.Token);
            var counters = new PipelineCounters();
            var application = AlertApplication.Create(_system, killed, RuleSetLoader.Load(killed.Rules, killed.Sources), counters, TimeProvider.System, NullLoggerFactory.Instance, control.Live);
            await using (application)
            {
                var run = application.Graph.RunAsync(CancellationToken.None);
                while (counters.Bootstraps == 0)
                {
                    Assert.False(run.IsCompleted, "the pipeline stopped on its own");
                    await Task.Delay(5, cts.Token);
                }

                application.Graph.Kill();
                bootstrapsAtKill = counters.Bootstraps;
                await run;
            }
        }

        var beforeRestart = ReadAlerts(killed, cts.Token).Count;
        await RunToEndAsync(killed, ends, cts.Token);
        var resumed = ReadAlerts(killed, cts.Token);
        Assert.Equal(expected, resumed.Select(a => a.Alert.AlertId).Distinct().Order());

        // a hold of one element: every partition waits for its hand-over
        var waiting = Settings(cluster, "waiting");
        waiting = waiting with { Rules = waiting.Rules.WithMaxHeldEvents(1) };
        await PublishAsync(waiting, new RuleSetRecord(1, 1_000, [Other]), cts.Token);
        await PublishAsync(waiting, new RuleSetRecord(2, EffectiveAt, [Other, Boot with { Bootstrap = LookBack }]), cts.Token);
        var waited = await RunToEndAsync(waiting, ends, cts.Token);
        Assert.Equal(Partitions, waited.BootstrapHoldsFull);
        Assert.Equal(expected, ReadAlerts(waiting, cts.Token).Select(a => a.Alert.AlertId).Distinct().Order());
        output.WriteLine($"{expected.Count} alerts expected; killed after {bootstrapsAtKill} of {Partitions} bootstraps with {beforeRestart} records out, {resumed.Count} records after the restart");
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    private static Dictionary<string, object?> Params(params (string Name, object Value)[] values) =>
        values.ToDictionary(v => v.Name, v => (object?)v.Value, StringComparer.Ordinal);

    private AlertingSettings Settings(EmbeddedKafkaCluster cluster, string name)
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
            AlertGroupId = "alert-boot-" + name,
            Persistence = new PersistenceSettings("postgres", "", postgres.ConnectionString),
            AlertCheckpointInterval = TimeSpan.FromMilliseconds(300),
        };
    }

    // Runs the service's composition (control topic read first) until its checkpoints cover every partition, then stops it.
    private async Task<PipelineCounters> RunToEndAsync(AlertingSettings settings, IReadOnlyDictionary<int, long> ends, CancellationToken cancellationToken)
    {
        await using var control = new RuleControl(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), NullLoggerFactory.Instance);
        await control.StartAsync(cancellationToken);
        var counters = new PipelineCounters();
        var application = AlertApplication.Create(_system, settings, RuleSetLoader.Load(settings.Rules, settings.Sources), counters, TimeProvider.System, NullLoggerFactory.Instance, control.Live);
        await using (application)
        {
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var run = application.Graph.RunAsync(stop.Token);
            await CheckpointSystems.WaitUntilCoveredAsync(_system, settings, ends, [run], cancellationToken);

            await stop.CancelAsync();
            await run;
        }

        return counters;
    }

    private static string Device(int index) => (1000 + index).ToString(CultureInfo.InvariantCulture);

    // the ids of the other rule's alerts, which go on whether or not a rule bootstraps beside them
    private static List<string> OtherAlerts(AlertingSettings settings, CancellationToken cancellationToken) =>
        [.. ReadAlerts(settings, cancellationToken).Where(a => a.Alert.RuleId == "ca").Select(a => a.Alert.AlertId).Distinct().Order()];

    // Device d: Fault 201 at d × 5 s, Fault 202 20 s later (the bootstrapped rule); Fault 103 at d × 5 s + 5 s and an
    // Alarm 30 s after it (the other rule); each moved back by up to 2 s (inside the 5 s disorder bound); then one event
    // per partition far ahead, to release everything.
    private static List<(string Device, string Json, int? Partition)> Input()
    {
        var random = new Random(7);
        var events = new List<(long Nominal, (string, string, int?) Record)>();
        for (var d = 0; d < Devices; d++)
        {
            foreach (var (kind, code, at, k) in new[] { ("Fault", 201, 0L, 0), ("Fault", 202, 20_000L, 1), ("Fault", 103, 5_000L, 2), ("Alarm", 0, 35_000L, 3) })
            {
                var nominal = (d * StepMs) + at;
                var time = Start.AddMilliseconds(nominal - random.Next(2_000));
                events.Add((nominal, (Device(d), EventTopics.Json(kind, code, time, $"d{d}-{k}", Device(d)), null)));
            }
        }

        var records = events.OrderBy(e => e.Nominal).Select(e => e.Record).ToList();
        var end = Start.AddMilliseconds((Devices * StepMs) + 600_000);
        for (var p = 0; p < Partitions; p++)
        {
            var device = (9000 + p).ToString(CultureInfo.InvariantCulture);
            records.Add((device, EventTopics.Json("Heartbeat", 0, end, $"end-{p}", device), p));
        }

        return records;
    }

    private static async Task PublishAsync(AlertingSettings settings, RuleSetRecord record, CancellationToken cancellationToken)
    {
        using var producer = KafkaClients.ProducerBuilder<string, byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build();
        await producer.ProduceAsync(new TopicPartition(settings.Kafka.Topics.Control, 0), new Message<string, byte[]> { Key = record.Key, Value = record.ToBytes() }, cancellationToken);
    }

    // Every alert record, with whether it carries the bootstrap header.
    private static List<(AlertMessage Alert, bool Bootstrap)> ReadAlerts(AlertingSettings settings, CancellationToken cancellationToken) =>
        [.. EventTopics.ReadMessages(settings, settings.Kafka.Topics.Alerts, Partitions, cancellationToken).Select(m => (
            DispatchJson.ParseAlert(Encoding.UTF8.GetString(m.Value)) ?? throw new InvalidOperationException("not an alert record"),
            EventTopics.Header(m, AlertRecords.BootstrapHeader) == "true"))];
}

public sealed class KafkaRuleHistoryStartSpec
{
    [Theory]
    [InlineData(120L, 0L, 120L, HistoryStart.AtTime)]
    [InlineData(120L, 100L, 120L, HistoryStart.AtTime)]
    [InlineData(0L, 0L, 0L, HistoryStart.AtTime)] // the whole log is in the look-back: nothing was lost
    [InlineData(100L, 100L, 100L, HistoryStart.PastRetention)] // the log starts later than asked
    [InlineData(-1L, 40L, 40L, HistoryStart.NoOffsetForTime)]
    public void A_history_must_start_at_the_offset_for_the_time_and_say_when_the_log_start_cuts_it_short(long offsetForTime, long logStart, long start, HistoryStart kind)
    {
        Assert.Equal((start, kind), KafkaRuleHistory.StartOf(offsetForTime, logStart));
    }
}
