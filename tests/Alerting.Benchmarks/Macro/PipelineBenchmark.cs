using System.Diagnostics;
using Akka.Alerting.Benchmarks.Harness;
using Akka.Alerting.Events;
using Akka.Alerting.Kafka;
using Akka.Alerting.Kafka.Embedded;
using Akka.Alerting.Rules;
using Akka.Alerting.Service.Hosting;
using Akka.Alerting.Service.Pipeline;
using Akka.Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Akka.Alerting.Benchmarks.Macro;

/// <summary>
/// The alert application end to end over the embedded broker, with the service's own composition
/// (<see cref="AlertPipeline"/>): a backlog of seed-shaped events for 100k devices is consumed once with the
/// shipped rules (<c>pipeline_*</c>) and once with an empty rule set (<c>passthrough_*</c>: consume → decode →
/// commit, no rules, no output), each by a fresh consumer group. The broker runs in a child process
/// (the service's <c>dev-broker</c> verb) so CPU-seconds count the pipeline's process only. The backlog
/// stays inside the broker's retention (many partitions) and every record must be consumed (no gaps).
/// </summary>
public sealed class PipelineBenchmark : IMacroBenchmark
{
    public string Name => "pipeline";

    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var events = context.Size(600_000, 20_000);
        const int partitions = 32;
        const int devices = 100_000;

        await using var broker = await ChildBroker.StartAsync(partitions, context.Log, cancellationToken);
        var configuration = ServiceConfiguration.Build(null, "demo", [$"--alerting:demo:partitions={partitions}"]);
        var settings = AlertingSettings.Bind(configuration);
        settings = settings with { Kafka = settings.Kafka with { BootstrapServers = broker.BootstrapServers } };

        await ProduceBacklogAsync(settings, events, devices, cancellationToken);
        context.Log.WriteLine($"[bench] pipeline: {events} events produced to {partitions} partitions");

        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var empty = RuleSet.Empty(rules.Schema);
        // Passthrough runs twice around the pipeline (best taken), so neither side gains from a warm JIT alone.
        var passthroughCold = await ConsumeAsync(settings with { AlertGroupId = "bench-passthrough-1" }, empty, events, cancellationToken);
        var pipeline = await ConsumeAsync(settings with { AlertGroupId = "bench-pipeline" }, rules, events, cancellationToken);
        var passthroughWarm = await ConsumeAsync(settings with { AlertGroupId = "bench-passthrough-2" }, empty, events, cancellationToken);
        var passthrough = passthroughWarm.PerWallSecond >= passthroughCold.PerWallSecond ? passthroughWarm : passthroughCold;

        return new Dictionary<string, double>
        {
            ["pipeline_events"] = events,
            ["pipeline_partitions"] = partitions,
            ["pipeline_devices"] = devices,
            ["pipeline_rules"] = rules.Rules.Count,
            ["pipeline_events_per_sec"] = Math.Round(pipeline.PerWallSecond),
            ["pipeline_events_per_cpu_sec"] = Math.Round(pipeline.PerCpuSecond),
            ["pipeline_alerts"] = pipeline.Alerts,
            ["passthrough_events_per_sec"] = Math.Round(passthrough.PerWallSecond),
            ["passthrough_events_per_cpu_sec"] = Math.Round(passthrough.PerCpuSecond),
            ["pipeline_vs_passthrough"] = Math.Round(pipeline.PerWallSecond / passthrough.PerWallSecond, 3),
        };
    }

    private static async Task ProduceBacklogAsync(AlertingSettings settings, int events, int devices, CancellationToken cancellationToken)
    {
        var start = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(events) - TimeSpan.FromMinutes(1);
        var generator = new SeedEventGenerator(7, new SeedEventOptions
        {
            Devices = devices,
            Start = start,
            Step = TimeSpan.FromMilliseconds(1),
            MaxDisorder = TimeSpan.FromSeconds(2),
        });
        using var producer = KafkaClients.ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build();
        for (var i = 0; i < events; i++)
        {
            var r = generator.Next();
            producer.Produce(settings.Kafka.Topics.Events, new Message<byte[], byte[]> { Key = r.Key, Value = r.Value });
            if ((i & 0xFFFF) == 0)
            {
                cancellationToken.ThrowIfCancellationRequested();
            }
        }

        await Task.Run(() => producer.Flush(TimeSpan.FromMinutes(2)), cancellationToken);
    }

    private static async Task<Run> ConsumeAsync(AlertingSettings settings, RuleSet rules, int events, CancellationToken cancellationToken)
    {
        var counters = new PipelineCounters();
        var pipeline = new AlertPipeline(settings, rules, counters, TimeProvider.System, NullLoggerFactory.Instance);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = pipeline.RunAsync(stop.Token);

        // The clock starts at the first consumed record: the group join (~3 s on the embedded broker) is not counted.
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
        await stop.CancelAsync();
        await run;
        if (pipeline.Consumed != events)
        {
            throw new InvalidOperationException($"consumed {pipeline.Consumed} of {events} records: a gap (retention or offset reset) would inflate the figures");
        }

        return new Run(consumed / elapsed, consumed / cpu, counters.AlertsOut + counters.RevokesOut);
    }

    private sealed record Run(double PerWallSecond, double PerCpuSecond, long Alerts);
}
