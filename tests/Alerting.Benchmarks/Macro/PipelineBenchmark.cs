using System.Diagnostics;
using Alerting.Benchmarks.Harness;
using Alerting.Enrichment;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// The alert application end to end over the embedded broker, with the service's own composition
/// (<see cref="AlertGraph"/>): a backlog of seed-shaped events for 100k devices is consumed once with the
/// shipped rules and the device-config lookup join (<c>pipeline_*</c>: 100k+ configurations seeded into an
/// embedded SQLite store in the temp folder, as the demo does) and once with an empty rule set and no lookup
/// (<c>passthrough_*</c>: consume → decode → commit, no rules, no output), each by a fresh consumer group.
/// The backlog's background events start partial matches of the shipped rules but can never complete one
/// (no Alarm, no second code of the pair, no threshold code); the generator injects the rules' scenarios
/// (<see cref="SeedEventOptions.PatternShare"/>), so the pipeline raises a known number of alerts
/// (<c>pipeline_patterns_injected</c>, one each). A tail of background events after the last scenario moves
/// every partition's watermark past it. Then <see cref="AlertLatencyRun"/> measures alert latency at half the
/// measured rate (<c>latency_*</c>). The broker runs in a child process (the service's <c>dev-broker</c> verb)
/// so CPU-seconds count the pipeline's process only. The backlog stays inside the broker's retention (many
/// partitions) and every record must be consumed (no gaps).
/// </summary>
public sealed class PipelineBenchmark : IMacroBenchmark
{
    /// <summary>Background kinds that cannot complete a shipped rule: no Alarm (rule <c>ca</c>).</summary>
    internal static readonly IReadOnlyList<string> QuietKinds = ["Fault", "Recover", "Run"];

    /// <summary>Background codes that cannot complete a shipped rule: no 102 (rule <c>ab</c>), no 5 (rule <c>t5</c>).</summary>
    internal static readonly IReadOnlyList<int> QuietCodes = [101, 103, 104, 105, 201, 202, 301];

    /// <summary>Backlog events that start a scenario.</summary>
    private const double BacklogPatternShare = 0.002;

    /// <summary>Background events after the last scenario, 1 ms apart: beyond the 5 s bounded disorder.</summary>
    private const int Tail = 10_000;

    public string Name => "pipeline";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var events = context.Size(600_000, 20_000);
        const int partitions = 32;
        const int devices = 100_000;

        await using var broker = await ChildBroker.StartAsync(partitions, context.Log, cancellationToken);
        var configuration = ServiceConfiguration.Build(null, "demo", [$"--alerting:demo:partitions={partitions}"]);
        var settings = AlertingSettings.Create(configuration);
        settings = settings with
        {
            Kafka = settings.Kafka with { BootstrapServers = broker.BootstrapServers },
            Persistence = new PersistenceSettings("sqlite", "", ""),
        };

        var backlog = await ProduceBacklogAsync(settings, events, devices, cancellationToken);
        var total = events + Tail;
        context.Log.WriteLine($"[bench] pipeline: {total} events produced to {partitions} partitions, {backlog.PatternsInjected} scenarios injected");

        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var empty = RuleSet.Empty(rules.Schema);

        // The lookup's store: every background device, every scenario device of the backlog and room for the latency run's.
        await using var deviceConfigs = DeviceConfigSource.Open(settings, TimeProvider.System, NullLoggerFactory.Instance);
        var seeded = devices + backlog.PatternDevices + AlertLatencyRun.MaxPatternDevices + 1;
        var seeding = Stopwatch.StartNew();
        await deviceConfigs.Store.UpsertAsync(
            DeviceConfigGenerator.Generate(seeded, rules.Rules.Select(r => r.AlertType).Distinct(StringComparer.Ordinal).ToList(), idPrefix: ""),
            cancellationToken);
        context.Log.WriteLine($"[bench] pipeline: {seeded} device configurations seeded in {seeding.Elapsed.TotalSeconds:F1}s");

        // The floor under both: the same records read by a bare Confluent.Kafka consumer (same client settings,
        // partitions assigned by hand, nothing decoded), in this process.
        var bare = BareConsume(settings, total, partitions, cancellationToken);

        // Passthrough runs twice around the pipeline (best taken), so neither side gains from a warm JIT alone.
        var passthroughCold = await ConsumeAsync(settings with { AlertGroupId = "bench-passthrough-1" }, empty, null, total, 0, context.Log, cancellationToken);
        var pipeline = await ConsumeAsync(settings with { AlertGroupId = "bench-pipeline" }, rules, NewLookup(deviceConfigs.Store, settings), total, backlog.PatternsInjected, context.Log, cancellationToken);
        var passthroughWarm = await ConsumeAsync(settings with { AlertGroupId = "bench-passthrough-2" }, empty, null, total, 0, context.Log, cancellationToken);
        var passthrough = passthroughWarm.PerWallSecond >= passthroughCold.PerWallSecond ? passthroughWarm : passthroughCold;
        if (pipeline.Alerts != backlog.PatternsInjected)
        {
            context.Log.WriteLine($"[bench] pipeline: WARNING {pipeline.Alerts} alerts out, {backlog.PatternsInjected} scenarios injected");
        }

        var latency = await AlertLatencyRun.RunAsync(
            settings,
            rules,
            NewLookup(deviceConfigs.Store, settings),
            devices,
            // Half the measured rate; --quick's tiny backlog overstates it, so a quick run caps it.
            Math.Round(context.Quick ? Math.Min(pipeline.PerWallSecond / 2, 20_000) : pipeline.PerWallSecond / 2),
            TimeSpan.FromSeconds(context.Size(25, 4)),
            context.Log,
            cancellationToken);

        // The same at a quarter of the maximum rate: less contention on the 2-core machine (broker, producer and
        // pipeline), but sparser partitions for the watermark, which waits for the slowest one.
        var quarter = await AlertLatencyRun.RunAsync(
            settings,
            rules,
            NewLookup(deviceConfigs.Store, settings),
            devices,
            Math.Round(latency.Rate / 2),
            TimeSpan.FromSeconds(context.Size(25, 4)),
            context.Log,
            cancellationToken,
            groupId: "bench-latency-quarter");

        return new Dictionary<string, double>
        {
            ["pipeline_events"] = total,
            ["pipeline_partitions"] = partitions,
            ["pipeline_devices"] = devices,
            ["pipeline_rules"] = rules.Rules.Count,
            ["pipeline_events_per_sec"] = Math.Round(pipeline.PerWallSecond),
            ["pipeline_events_per_cpu_sec"] = Math.Round(pipeline.PerCpuSecond),
            ["pipeline_alerts"] = pipeline.Alerts,
            ["pipeline_patterns_injected"] = backlog.PatternsInjected,
            ["pipeline_lookup_devices"] = seeded,
            ["passthrough_events_per_sec"] = Math.Round(passthrough.PerWallSecond),
            ["passthrough_events_per_cpu_sec"] = Math.Round(passthrough.PerCpuSecond),
            ["pipeline_vs_passthrough"] = Math.Round(pipeline.PerWallSecond / passthrough.PerWallSecond, 3),
            ["kafka_consume_events_per_sec"] = Math.Round(bare.PerWallSecond),
            ["kafka_consume_events_per_cpu_sec"] = Math.Round(bare.PerCpuSecond),
            ["pipeline_vs_kafka_consume_cpu"] = Math.Round(pipeline.PerCpuSecond / bare.PerCpuSecond, 3),
            ["latency_rate_events_per_sec"] = latency.Rate,
            ["latency_alerts"] = latency.Samples,
            ["latency_p50_ms"] = latency.P50Ms,
            ["latency_p99_ms"] = latency.P99Ms,
            ["latency_caught_up"] = latency.CaughtUp ? 1 : 0,
            ["latency_alerts_expected"] = latency.Expected,
            ["latency_alerts_missing"] = latency.Missing,
            ["latency_handed_over_p50_ms"] = latency.HandedOverP50Ms,
            ["latency_handed_over_p99_ms"] = latency.HandedOverP99Ms,
            ["latency_quarter_rate_events_per_sec"] = quarter.Rate,
            ["latency_quarter_rate_caught_up"] = quarter.CaughtUp ? 1 : 0,
            ["latency_quarter_rate_alerts"] = quarter.Samples,
            ["latency_quarter_rate_p50_ms"] = quarter.P50Ms,
            ["latency_quarter_rate_p99_ms"] = quarter.P99Ms,
            ["latency_quarter_rate_alerts_missing"] = quarter.Missing,
            ["latency_quarter_rate_handed_over_p50_ms"] = quarter.HandedOverP50Ms,
            ["latency_quarter_rate_handed_over_p99_ms"] = quarter.HandedOverP99Ms,
            ["latency_fetch_max_wait_ms"] = AlertLatencyRun.FetchMaxWait.TotalMilliseconds,
            ["latency_linger_ms"] = AlertLatencyRun.Linger.TotalMilliseconds,
        };
    }

    /// <summary>A lookup of its own per run, so no run starts with a cache another one warmed.</summary>
    private static DeviceConfigLookup NewLookup(IDeviceConfigStore store, AlertingSettings settings) =>
        new(store, settings.Enrichment, TimeProvider.System);

    /// <summary>The backlog: <paramref name="events"/> records with injected scenarios, then <see cref="Tail"/> background-only records.</summary>
    private static async Task<Backlog> ProduceBacklogAsync(AlertingSettings settings, int events, int devices, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(events + Tail) - TimeSpan.FromMinutes(1);
        var options = new SeedEventOptions
        {
            Devices = devices,
            Kinds = QuietKinds,
            ErrorCodes = QuietCodes,
            Start = start,
            Step = TimeSpan.FromMilliseconds(1),
            MaxDisorder = TimeSpan.FromSeconds(2),
            PatternShare = BacklogPatternShare,
        };
        var generator = new SeedEventGenerator(7, options);
        var tail = new SeedEventGenerator(8, options with { Start = start + TimeSpan.FromMilliseconds(events), PatternShare = 0 });
        using var producer = KafkaClients.ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build();
        for (var i = 0; i < events + Tail; i++)
        {
            var r = i < events ? generator.Next() : tail.Next();
            producer.Produce(settings.Kafka.Topics.Events, new Message<byte[], byte[]> { Key = r.Key, Value = r.Value });
            if ((i & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        await Task.Run(() => producer.Flush(TimeSpan.FromMinutes(2)), cancellationToken);
        return new Backlog(generator.PatternsInjected, generator.PatternDevices);
    }

    private static async Task<Run> ConsumeAsync(
        AlertingSettings settings,
        RuleSet rules,
        DeviceConfigLookup? lookup,
        int events,
        long expectedAlerts,
        TextWriter log,
        CancellationToken cancellationToken)
    {
        var counters = new PipelineCounters();

        // The pipeline checkpoints its matcher as the service does (a fresh SQLite store); the passthrough only commits.
        await using var checkpointed = CheckpointedSystem.Create("bench", settings);
        var system = checkpointed.System;
        var checkpoints = rules.Rules.Count > 0 ? new AlertCheckpointStore(system, TimeProvider.System) : null;
        var pipeline = new AlertGraph(system, settings, rules, counters, TimeProvider.System, NullLoggerFactory.Instance, lookup: lookup, checkpoints: checkpoints);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = pipeline.RunAsync(stop.Token);

        // The clock starts at the first consumed record: the group join is not counted.
        while (pipeline.Consumed == 0 && !run.IsCompleted)
        {
            await Task.Delay(5, cancellationToken);
        }

        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        var from = pipeline.Consumed;
        var deadline = TimeSpan.FromMinutes(4);
        while (pipeline.Consumed < events && !run.IsCompleted && wall.Elapsed < deadline)
        {
            await Task.Delay(5, cancellationToken);
        }

        var elapsed = wall.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        var consumed = pipeline.Consumed - from;

        // The last batch's alerts are still on their way out (lookup, produce): give them a bounded moment, so
        // stopping the pipeline does not cut them off and the count is complete.
        var settle = Stopwatch.StartNew();
        while (counters.AlertsOut + counters.RevokesOut < expectedAlerts && !run.IsCompleted && settle.Elapsed < TimeSpan.FromSeconds(10))
        {
            await Task.Delay(5, cancellationToken);
        }

        await stop.CancelAsync();
        await AlertLatencyRun.StopQuietlyAsync(run, log);
        if (pipeline.Consumed != events)
        {
            throw new InvalidOperationException($"consumed {pipeline.Consumed} of {events} records: a gap (retention or offset reset) would inflate the figures");
        }

        return new Run(consumed / elapsed, consumed / cpu, counters.AlertsOut + counters.RevokesOut);
    }

    /// <summary>Reads every record of the events topic with a bare consumer (no group, no decoding): wall and CPU time from its first record.</summary>
    private static Run BareConsume(AlertingSettings settings, int events, int partitions, CancellationToken cancellationToken)
    {
        var config = settings.Kafka.ConsumerConfig("bench-bare", "bare");
        config.EnablePartitionEof = false;
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(settings.Kafka.Topics.Events, p, Offset.Beginning)));
        var process = Process.GetCurrentProcess();
        var wall = new Stopwatch();
        var cpu0 = TimeSpan.Zero;
        long consumed = 0, bytes = 0;
        var deadline = Stopwatch.StartNew();
        while (consumed < events && deadline.Elapsed < TimeSpan.FromMinutes(4))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
            if (result is null)
            {
                continue;
            }

            if (consumed++ == 0)
            {
                process.Refresh();
                cpu0 = process.TotalProcessorTime;
                wall.Start();
            }

            bytes += result.Message.Value.Length;
        }

        var elapsed = wall.Elapsed.TotalSeconds;
        process.Refresh();
        var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        consumer.Close();
        if (consumed != events || bytes == 0)
        {
            throw new InvalidOperationException($"the bare consumer read {consumed} of {events} records");
        }

        return new Run((consumed - 1) / elapsed, (consumed - 1) / cpu, 0);
    }

    private sealed record Backlog(long PatternsInjected, int PatternDevices);

    private sealed record Run(double PerWallSecond, double PerCpuSecond, long Alerts);
}
