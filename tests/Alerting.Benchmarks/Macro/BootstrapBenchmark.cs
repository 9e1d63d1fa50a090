using System.Diagnostics;
using System.Globalization;
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

        // the baseline: the history matcher alone, in memory
        var alone = new RuleBootstrap(rule, rules.Schema, from, until, outOfOrderness, keepAlerts: true);
        var process = Process.GetCurrentProcess();
        var cpu0 = process.TotalProcessorTime;
        var wall = Stopwatch.StartNew();
        foreach (var e in decoded)
        {
            alone.Offer(e);
        }

        var aloneState = alone.Finish();
        var aloneWall = wall.Elapsed.TotalSeconds;
        process.Refresh();
        var aloneCpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
        cancellationToken.ThrowIfCancellationRequested();

        // the bootstrap as the match stage runs it: the history reader into the history matcher
        var system = ActorSystem.Create("bench-bootstrap", "akka.loglevel = WARNING");
        try
        {
            var history = new KafkaRuleHistory(system, settings, settings.Sources.ToDictionary(s => s.Topic, StringComparer.Ordinal), rules.Schema, TimeProvider.System, new PipelineCounters(), NullLoggerFactory.Instance);
            var materializer = system.Materializer();

            // first a cold pass (the stream stages' and Kafka client's code not yet compiled to its optimised tier, as in a
            // process that has not run a stream yet), then the measured one: a running service has run its live stream's
            // stages and Kafka consumers long before a rule is applied, so its bootstrap runs warm
            var (coldRead, coldCpu) = await PassAsync();
            if (coldRead != decoded.Count)
            {
                throw new InvalidOperationException($"the cold bootstrap read {coldRead} of {decoded.Count} events: a gap would inflate the figures");
            }

            // one bootstrap per partition, all at once, as the partitions' match stages run theirs
            var matchers = ends.Keys.ToDictionary(p => p, _ => new RuleBootstrap(rule, rules.Schema, from, until, outOfOrderness, keepAlerts: true));
            GC.Collect();
            process.Refresh();
            cpu0 = process.TotalProcessorTime;
            wall.Restart();
            await Task.WhenAll(ends.Select(end => history
                    .Read(new Dictionary<SourcePartition, long> { [end.Key] = end.Value }, from - outOfOrderness)
                    .RunForeach(matchers[end.Key].Offer, materializer)))
                .WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
            var stateBytes = matchers.Values.Sum(m => (long)m.Finish().Length);
            var elapsed = wall.Elapsed.TotalSeconds;
            process.Refresh();
            var cpu = (process.TotalProcessorTime - cpu0).TotalSeconds;
            var read = matchers.Values.Sum(m => m.EventsRead);
            var alerts = matchers.Values.Sum(m => m.Alerts.Count);
            if (read != decoded.Count)
            {
                throw new InvalidOperationException($"the bootstrap read {read} of {decoded.Count} events: a gap would inflate the figures");
            }

            context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"bootstrap: {read} history events of {ends.Count} partitions in {elapsed:F2} s wall, {cpu:F2} s CPU ({read / cpu:F0}/CPU-s); cold pass {coldRead / coldCpu:F0}/CPU-s; {alerts} alerts ({alone.Alerts.Count} by the matcher alone over all partitions), {stateBytes} bytes of state ({aloneState.Length} alone); matcher alone {decoded.Count / aloneCpu:F0}/CPU-s"));
            return new Dictionary<string, double>
            {
                ["bootstrap_events_per_sec_per_core"] = Math.Round(read / cpu),
                ["bootstrap_events_per_sec"] = Math.Round(read / elapsed),
                ["bootstrap_matcher_only_events_per_sec_per_core"] = Math.Round(decoded.Count / aloneCpu),
                ["bootstrap_matcher_only_events_per_sec"] = Math.Round(decoded.Count / aloneWall),
                ["bootstrap_events"] = read,
                ["bootstrap_alerts"] = alerts,
                ["bootstrap_cold_events_per_sec_per_core"] = Math.Round(coldRead / coldCpu),
            };

            async Task<(long Read, double Cpu)> PassAsync()
            {
                var cold = ends.Keys.ToDictionary(p => p, _ => new RuleBootstrap(rule, rules.Schema, from, until, outOfOrderness, keepAlerts: true));
                GC.Collect();
                process.Refresh();
                var cpuAtStart = process.TotalProcessorTime;
                await Task.WhenAll(ends.Select(end => history
                        .Read(new Dictionary<SourcePartition, long> { [end.Key] = end.Value }, from - outOfOrderness)
                        .RunForeach(cold[end.Key].Offer, materializer)))
                    .WaitAsync(TimeSpan.FromMinutes(5), cancellationToken);
                foreach (var m in cold.Values)
                {
                    m.Finish();
                }

                process.Refresh();
                return (cold.Values.Sum(m => m.EventsRead), (process.TotalProcessorTime - cpuAtStart).TotalSeconds);
            }
        }
        finally
        {
            await system.Terminate();
        }
    }
}
