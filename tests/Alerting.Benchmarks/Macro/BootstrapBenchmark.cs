using System.Diagnostics;
using System.Globalization;
using System.Runtime;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Benchmarks.Harness;
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
/// A rule's bootstrap over history: seed-shaped events of 100k devices on 16 partitions of the events topic (a child
/// broker), all inside the look-back, read back by the service's history reader (<see cref="KafkaRuleHistory"/>: the
/// offsets for the time, a plain source with partitions assigned by hand, decoding) into the history matcher
/// (<see cref="RuleBootstrap"/>, one rule of the rule file), one bootstrap per partition, all at once (as the
/// partitions' match stages run theirs), up to the end offsets, and their states exported. Reports
/// history events per CPU-second of the benchmark process (the broker runs in its own process) and per wall second;
/// the baseline is the history matcher alone over the same events, decoded beforehand, in memory.
/// Option: <c>--bootstrap-events N</c> (default 400,000: inside the embedded broker's retention on 16 partitions).
/// </summary>
public sealed class BootstrapBenchmark : IMacroBenchmark
{
    private const int Partitions = 16;
    private const int Devices = 100_000;
    private const int MeasuredPasses = 3;

    /// <summary>
    /// Passes run after the cold one before the measured ones. The tiered JIT starts counting a method's calls only once
    /// compiling has paused, so the optimised code of what the cold pass ran is compiled during the passes after it; after
    /// five, the measured passes compile next to nothing (the log line gives the JIT's time in the median pass). After
    /// three, some runs still compiled for hundreds of milliseconds in the measured passes.
    /// </summary>
    private const int WarmupPasses = 5;

    /// <inheritdoc />
    public string Name => "bootstrap";

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var events = context.Option("--bootstrap-events", context.Size(400_000, 20_000));
        await using var broker = await ChildBroker.StartAsync(Partitions, context.Log, cancellationToken);
        var configuration = ServiceConfiguration.Build(null, "demo", [$"--alerting:demo:partitions={Partitions}"]);
        var settings = AlertingSettings.Create(configuration);
        settings = settings with { Kafka = settings.Kafka with { BootstrapServers = broker.BootstrapServers } };
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var rule = rules.Rules[0];
        var source = settings.Sources[0];
        var topic = settings.Kafka.Topics.Events;

        // the history: every event inside the look-back, 1 ms apart
        var start = DateTimeOffset.UtcNow - TimeSpan.FromMilliseconds(events) - TimeSpan.FromMinutes(10);
        var generator = new SeedEventGenerator(17, new SeedEventOptions
        {
            Devices = Devices,
            Start = start,
            Step = TimeSpan.FromMilliseconds(1),
            MaxDisorder = TimeSpan.FromSeconds(2),
            PatternShare = 0.05,
        });
        var decoder = new EventDecoder(source, TimeProvider.System, rules.Schema);
        var decoded = new List<DeviceEvent>(events);
        var ends = new Dictionary<SourcePartition, long>();
        using (var producer = KafkaClients.ProducerBuilder<byte[], byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build())
        {
            for (var i = 0; i < events; i++)
            {
                var r = generator.Next();
                producer.Produce(topic, new Message<byte[], byte[]> { Key = r.Key, Value = r.Value }, report =>
                {
                    var at = new SourcePartition(topic, report.Partition.Value);
                    lock (ends)
                    {
                        ends[at] = Math.Max(ends.GetValueOrDefault(at), report.Offset.Value + 1);
                    }
                });
                if (decoder.Decode(r.Value, new RecordOrigin(topic, 0, i)).Event is { } e)
                {
                    decoded.Add(e);
                }
            }

            await Task.Run(() => producer.Flush(TimeSpan.FromMinutes(2)), cancellationToken);
        }

        var from = start.ToUnixTimeMilliseconds() - 60_000;
        var until = decoded.Max(e => e.EventTime) + 1;
        var outOfOrderness = (long)source.MaxOutOfOrderness.TotalMilliseconds;
        context.Log.WriteLine($"[bench] bootstrap: {events} events produced to {Partitions} partitions; rule {rule.Id}");

        // the baseline: the history matcher alone, in memory, warmed up as the bootstrap is below
        var process = Process.GetCurrentProcess();
        for (var i = 0; i < WarmupPasses; i++)
        {
            Alone();
        }

        var aloneRuns = Enumerable.Range(0, MeasuredPasses).Select(_ => Alone()).ToList();
        var aloneMedian = aloneRuns.OrderBy(r => r.Cpu).ElementAt(MeasuredPasses / 2);
        var (aloneCpu, aloneWall, aloneAlerts, aloneStateBytes) = (aloneMedian.Cpu, aloneMedian.Wall, aloneMedian.Alerts, aloneMedian.StateBytes);
        cancellationToken.ThrowIfCancellationRequested();

        // the bootstrap as the match stage runs it: the history reader into the history matcher
        var system = ActorSystem.Create("bench-bootstrap", "akka.loglevel = WARNING");
        try
        {
            var history = new KafkaRuleHistory(system, settings, settings.Sources.ToDictionary(s => s.Topic, StringComparer.Ordinal), rules.Schema, TimeProvider.System, new PipelineCounters(), NullLoggerFactory.Instance);
            var materializer = system.Materializer();

            // first a cold pass (the stream stages' and Kafka client's code not yet compiled to its optimised tier, as in a
            // process that has not run a stream yet); then warm-up passes: a running service has run its live stream's
            // stages and Kafka consumers long before a rule is applied, so its bootstrap runs warm
            var cold = await PassAsync();
            for (var i = 0; i < WarmupPasses; i++)
            {
                await PassAsync();
            }

            // the measured passes: the median of three, by CPU (on a shared machine one pass can lose a core to others)
            var passes = new List<Pass>(MeasuredPasses);
            for (var i = 0; i < MeasuredPasses; i++)
            {
                passes.Add(await PassAsync());
            }

            var median = passes.OrderBy(p => p.Cpu).ElementAt(MeasuredPasses / 2);
            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bootstrap: {median.Read} history events of {ends.Count} partitions in {median.Wall:F2} s wall, {median.Cpu:F2} s CPU ({median.Read / median.Cpu:F0}/CPU-s, median of {string.Join(", ", passes.Select(p => (p.Read / p.Cpu).ToString("F0", CultureInfo.InvariantCulture)))}); {(double)median.Allocated / median.Read:F0} B allocated per event, JIT {median.JitMs:F0} ms; cold pass {cold.Read / cold.Cpu:F0}/CPU-s (JIT {cold.JitMs:F0} ms), then {WarmupPasses} warm-up passes; {median.Alerts} alerts ({aloneAlerts} by the matcher alone over all partitions), {median.StateBytes} bytes of state ({aloneStateBytes} alone); matcher alone {decoded.Count / aloneCpu:F0}/CPU-s"));
            return new Dictionary<string, double>
            {
                ["bootstrap_events_per_sec_per_core"] = Math.Round(median.Read / median.Cpu),
                ["bootstrap_events_per_sec"] = Math.Round(median.Read / median.Wall),
                ["bootstrap_matcher_only_events_per_sec_per_core"] = Math.Round(decoded.Count / aloneCpu),
                ["bootstrap_matcher_only_events_per_sec"] = Math.Round(decoded.Count / aloneWall),
                ["bootstrap_events"] = median.Read,
                ["bootstrap_alerts"] = median.Alerts,
                ["bootstrap_cold_events_per_sec_per_core"] = Math.Round(cold.Read / cold.Cpu),
                ["bootstrap_bytes_allocated_per_event"] = Math.Round((double)median.Allocated / median.Read, 1),
            };

            // one bootstrap per partition, all at once, as the partitions' match stages run theirs
            async Task<Pass> PassAsync()
            {
                var matchers = ends.Keys.ToDictionary(p => p, _ => new RuleBootstrap(rule, rules.Schema, from, until, outOfOrderness, keepAlerts: true));
                GC.Collect();
                var allocatedAtStart = GC.GetTotalAllocatedBytes(precise: true);
                var jitAtStart = JitInfo.GetCompilationTime();
                process.Refresh();
                var cpuAtStart = process.TotalProcessorTime;
                var clock = Stopwatch.StartNew();
                await Task.WhenAll(ends.Select(end => history
                        .Read(new Dictionary<SourcePartition, long> { [end.Key] = end.Value }, from - outOfOrderness)
                        .RunForeach(matchers[end.Key].Offer, materializer)))
                    .WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
                var stateBytes = matchers.Values.Sum(m => (long)m.Finish().Length);
                var elapsed = clock.Elapsed.TotalSeconds;
                process.Refresh();
                var pass = new Pass(
                    matchers.Values.Sum(m => m.EventsRead),
                    (process.TotalProcessorTime - cpuAtStart).TotalSeconds,
                    elapsed,
                    matchers.Values.Sum(m => m.Alerts.Count),
                    stateBytes,
                    GC.GetTotalAllocatedBytes(precise: true) - allocatedAtStart,
                    (JitInfo.GetCompilationTime() - jitAtStart).TotalMilliseconds);
                if (pass.Read != decoded.Count)
                {
                    throw new InvalidOperationException($"the bootstrap read {pass.Read} of {decoded.Count} events: a gap would inflate the figures");
                }

                if (pass.Alerts != aloneAlerts)
                {
                    throw new InvalidOperationException($"the bootstrap found {pass.Alerts} alerts, the matcher alone {aloneAlerts} over the same events");
                }

                return pass;
            }
        }
        finally
        {
            await system.Terminate();
        }

        Pass Alone()
        {
            var matcher = new RuleBootstrap(rule, rules.Schema, from, until, outOfOrderness, keepAlerts: true);
            GC.Collect();
            var jitAtStart = JitInfo.GetCompilationTime();
            process.Refresh();
            var cpuAtStart = process.TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            foreach (var e in decoded)
            {
                matcher.Offer(e);
            }

            var state = matcher.Finish();
            var elapsed = clock.Elapsed.TotalSeconds;
            process.Refresh();
            return new Pass(matcher.EventsRead, (process.TotalProcessorTime - cpuAtStart).TotalSeconds, elapsed, matcher.Alerts.Count, state.Length, 0,
                (JitInfo.GetCompilationTime() - jitAtStart).TotalMilliseconds);
        }
    }

    private sealed record Pass(long Read, double Cpu, double Wall, long Alerts, long StateBytes, long Allocated, double JitMs);
}
