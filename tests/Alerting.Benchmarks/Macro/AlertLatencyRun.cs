using System.Diagnostics;
using System.Text;
using Alerting.Benchmarks.Harness;
using Alerting.Enrichment;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Rules;
using Alerting.Rules.Language;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using DispatchAlertKind = Alerting.Dispatch.Messages.AlertKind;
using DispatchJson = Alerting.Dispatch.Messages.DispatchJson;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// Alert latency of the running <see cref="AlertGraph"/> (same composition as the throughput run: shipped
/// rules, device-config lookup): events are produced in real time at a fixed rate (event time = the wall clock
/// when the record is handed to the producer, no disorder, the shipped rules' scenarios injected) into the
/// events topic on the same broker, taken by a fresh consumer group that starts at the topic's end, and a reader
/// of the alerts topic (5 ms fetch wait, no group) takes each Generate back. The latency of an alert is (wall clock when read back) − (its AlertTime, the event time of the
/// event that completed the match) − (the source's bounded disorder, <c>max-out-of-orderness</c>: the watermark
/// holds every event back by that much by design). It is an upper bound of "event arrival to alert
/// acknowledgement beyond the watermark delay": it also counts the producer's linger, the broker, the pipeline's
/// batch and fetch waits, the lookup, the alert's produce and flush, and the reader's fetch. Alerts whose
/// AlertTime is not an event's time (absence rules: a deadline) are left out. The first second after the
/// pipeline takes its first record is warm-up; the run then measures for the given duration and keeps
/// producing for the watermark delay and 2 s more, so every measured alert can come out.
/// </summary>
internal static class AlertLatencyRun
{
    /// <summary>Scenarios the run injects at most (the lookup's store is seeded for their devices).</summary>
    public const int MaxPatternDevices = 10_000;

    /// <summary>Alerts the measured part of a full run aims at.</summary>
    private const int TargetAlerts = 600;

    private static readonly TimeSpan WarmUp = TimeSpan.FromSeconds(1);

    /// <summary>The consumer's fetch-max-wait of the latency run.</summary>
    public static readonly TimeSpan FetchMaxWait = TimeSpan.FromMilliseconds(5);

    /// <summary>The producers' linger of the latency run.</summary>
    public static readonly TimeSpan Linger = TimeSpan.FromMilliseconds(1);

    /// <summary>Runs the pipeline (a fresh group on the events topic) for warm-up + <paramref name="duration"/> + the watermark delay and returns the figures.</summary>
    public static async Task<LatencyResult> RunAsync(
        AlertingSettings settings,
        RuleSet rules,
        DeviceConfigLookup lookup,
        int devices,
        double rate,
        TimeSpan duration,
        TextWriter log,
        CancellationToken cancellationToken,
        string groupId = "bench-latency")
    {
        rate = Math.Max(rate, 1000);
        var source = settings.Sources[0];
        var delay = source.MaxOutOfOrderness;
        // The low-latency settings an operator would choose (README): on the embedded broker a fetch waits its
        // whole fetch-max-wait, so the default 100 ms would dominate the figure.
        settings = settings with
        {
            AlertGroupId = groupId,
            Kafka = settings.Kafka with { FetchMaxWait = FetchMaxWait, Linger = Linger },
        };
        var topics = settings.Kafka.Topics;
        var alertsPartitions = StartAtEnd(settings, topics.Events, topics.Alerts);
        var eventRules = rules.Rules.Where(r => r.Operator != PatternOperator.Absent).Select(r => r.Id).ToHashSet(StringComparer.Ordinal);

        // Scenarios at a share that gives about TargetAlerts over the measured duration, within the seeded devices.
        // (The whole run is about warm-up + duration + delay + 2 s, plus the group join.)
        var total = rate * (WarmUp + duration + delay + TimeSpan.FromSeconds(10)).TotalSeconds;
        var share = Math.Min(TargetAlerts / (rate * duration.TotalSeconds), 0.5 * MaxPatternDevices / total);
        var generator = new SeedEventGenerator(13, new SeedEventOptions
        {
            Devices = devices,
            Kinds = PipelineBenchmark.QuietKinds,
            ErrorCodes = PipelineBenchmark.QuietCodes,
            Clock = TimeProvider.System,
            PatternShare = share,
        });

        var counters = new PipelineCounters();
        await using var checkpointed = CheckpointedSystem.Create("bench", settings);
        var system = checkpointed.System;
        var pipeline = new AlertGraph(system, settings, rules, counters, TimeProvider.System, NullLoggerFactory.Instance, lookup: lookup, checkpoints: new AlertCheckpointStore(system, TimeProvider.System));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var stopProducing = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var run = pipeline.RunAsync(stop.Token);
        var reader = new AlertReader(settings.Kafka.BootstrapServers, topics.Alerts, alertsPartitions);
        var reading = reader.RunAsync(stop.Token);
        var producer = new PacedProducer(settings.Kafka.BootstrapServers, topics.Events, generator, rate);
        var producing = producer.RunAsync(stopProducing.Token);

        long from, to, producedFrom, producedTo, injectedFrom, injectedTo;
        var caughtUp = false;
        try
        {
            var joined = Stopwatch.StartNew();
            while (pipeline.Consumed == 0 && !run.IsCompleted && joined.Elapsed < TimeSpan.FromSeconds(60))
            {
                await Task.Delay(5, cancellationToken);
            }

            // The producer starts while the pipeline joins its group: measure the steady state, once the pipeline
            // has caught up with that backlog (less than 50 ms of input behind), after the warm-up.
            var catchingUp = Stopwatch.StartNew();
            while (pipeline.Consumed < producer.Produced - (rate / 20) && !run.IsCompleted && catchingUp.Elapsed < TimeSpan.FromSeconds(30))
            {
                await Task.Delay(5, cancellationToken);
            }

            caughtUp = pipeline.Consumed >= producer.Produced - (rate / 20);
            await Task.Delay(WarmUp, cancellationToken);
            (from, producedFrom, injectedFrom) = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), producer.Produced, generator.PatternsInjected);
            await Task.Delay(duration, cancellationToken);
            (to, producedTo, injectedTo) = (DateTimeOffset.UtcNow.ToUnixTimeMilliseconds(), producer.Produced, generator.PatternsInjected);

            // The watermark passes the last measured alert's event once events `delay` later arrive; then the
            // pipeline gets a bounded moment to take what was produced and the reader to read what came out.
            await Task.Delay(delay + TimeSpan.FromSeconds(2), cancellationToken);
            await stopProducing.CancelAsync();
            await StopQuietlyAsync(producing, log);
            await pipeline.WaitForCatchUpAsync(producer.Produced, TimeSpan.FromSeconds(30), cancellationToken);
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
        finally
        {
            await stopProducing.CancelAsync();
            await stop.CancelAsync();
            await StopQuietlyAsync(producing, log);
            await StopQuietlyAsync(run, log);
            await StopQuietlyAsync(reading, log);
        }

        var samples = reader.Alerts
            .Where(a => a.Kind == DispatchAlertKind.Generate && eventRules.Contains(a.RuleId) && a.AlertTime >= from && a.AlertTime < to)
            .Select(a => (double)(a.ReadAt - a.AlertTime) - delay.TotalMilliseconds)
            .Order()
            .ToList();
        // The same alerts up to the moment the pipeline handed them to its producer (the record's CreateTime): the
        // rest of the latency is the alerts topic's produce and the reader's fetch.
        var handedOver = reader.Alerts
            .Where(a => a.Kind == DispatchAlertKind.Generate && eventRules.Contains(a.RuleId) && a.AlertTime >= from && a.AlertTime < to)
            .Select(a => (double)(a.ProducedAt - a.AlertTime) - delay.TotalMilliseconds)
            .Order()
            .ToList();
        var achieved = Math.Round((producedTo - producedFrom) / ((to - from) / 1000.0));
        log.WriteLine($"[bench] latency: {rate} events/s asked, {achieved} produced, {counters.EventsIn} events in, {generator.PatternsInjected} scenarios injected, {counters.AlertsOut} alerts out, {reader.Alerts.Count} alerts read, {samples.Count} measured of ~{injectedTo - injectedFrom} injected in the measured period");
        if (samples.Count == 0)
        {
            throw new InvalidOperationException("no alert was read back within the measured period");
        }

        return new LatencyResult(achieved, samples.Count, Percentile(samples, 50), Percentile(samples, 99), caughtUp, injectedTo - injectedFrom)
        {
            HandedOverP50Ms = Percentile(handedOver, 50),
            HandedOverP99Ms = Percentile(handedOver, 99),
        };
    }

    /// <summary>Waits for a part that was asked to stop; its cancellation is the normal end, a failure is logged and thrown.</summary>
    public static async Task StopQuietlyAsync(Task task, TextWriter log)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
            // Stopping may cancel a lookup in flight: the normal end of a run.
        }
        catch (Exception ex)
        {
            log.WriteLine($"[bench] a part of the run failed: {ex.Message}");
            throw;
        }
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(List<double> sorted, double percent)
    {
        var rank = (int)Math.Ceiling(percent / 100 * sorted.Count);
        return Math.Round(sorted[Math.Clamp(rank - 1, 0, sorted.Count - 1)], 1);
    }

    /// <summary>
    /// Commits the end of every partition of the events topic for the run's fresh consumer group, so the
    /// pipeline takes only the events produced from now on (not the throughput run's backlog), and returns the
    /// partition count of the alerts topic.
    /// </summary>
    private static int StartAtEnd(AlertingSettings settings, string events, string alerts)
    {
        var bootstrap = settings.Kafka.BootstrapServers;
        using var admin = KafkaClients.AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var metadata = admin.GetMetadata(TimeSpan.FromSeconds(10));
        int Partitions(string topic) => metadata.Topics.Single(t => t.Topic == topic).Partitions.Count;

        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(KafkaClients.ConsumerConfig(bootstrap, settings.AlertGroupId)).Build();
        var ends = Enumerable.Range(0, Partitions(events))
            .Select(p => new TopicPartition(events, p))
            .Select(tp => new TopicPartitionOffset(tp, consumer.QueryWatermarkOffsets(tp, TimeSpan.FromSeconds(10)).High))
            .ToList();
        consumer.Commit(ends);
        consumer.Close();
        return Partitions(alerts);
    }

    /// <summary>One alert read back: its kind, rule, AlertTime, the wall clock when it was read and its record's CreateTime (Unix ms).</summary>
    private sealed record ReadAlert(DispatchAlertKind Kind, string RuleId, long AlertTime, long ReadAt, long ProducedAt);

    /// <summary>Reads every partition of the alerts topic from the beginning (no group join), with a 5 ms fetch wait.</summary>
    private sealed class AlertReader(string bootstrapServers, string topic, int partitions)
    {
        private readonly List<ReadAlert> _alerts = [];

        public IReadOnlyList<ReadAlert> Alerts => _alerts;

        public Task RunAsync(CancellationToken cancellationToken) =>
            Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        private void Run(CancellationToken cancellationToken)
        {
            var config = KafkaClients.ConsumerConfig(bootstrapServers, "bench-latency-reader");
            config.FetchWaitMaxMs = 5;
            using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(config).Build();
            consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            try
            {
                while (!cancellationToken.IsCancellationRequested)
                {
                    ConsumeResult<byte[]?, byte[]>? result;
                    try
                    {
                        result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                    }
                    catch (ConsumeException ex) when (!ex.Error.IsFatal)
                    {
                        continue;
                    }

                    if (result is null || result.IsPartitionEOF)
                    {
                        continue;
                    }

                    var readAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
                    var alert = DispatchJson.ParseAlert(Encoding.UTF8.GetString(result.Message.Value));
                    if (alert is not null)
                    {
                        _alerts.Add(new ReadAlert(alert.Kind, alert.RuleId ?? "", alert.AlertTime.ToUnixTimeMilliseconds(), readAt, result.Message.Timestamp.UnixTimestampMs));
                    }
                }
            }
            finally
            {
                consumer.Close();
            }
        }
    }
}

/// <summary>
/// Produces <paramref name="rate"/> records per second in 1 ms steps until cancelled, then flushes; the
/// generator stamps each record with the wall clock when it is generated, right before it is produced.
/// </summary>
internal sealed class PacedProducer(string bootstrapServers, string topic, SeedEventGenerator generator, double rate)
{
    private long _produced;

    /// <summary>Records handed to the producer so far.</summary>
    public long Produced => Interlocked.Read(ref _produced);

    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        var config = KafkaClients.ProducerConfig(bootstrapServers);
        config.LingerMs = AlertLatencyRun.Linger.TotalMilliseconds;
        using var producer = KafkaClients.ProducerBuilder<byte[], byte[]>(config).Build();
        var clock = Stopwatch.StartNew();
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = (long)(clock.Elapsed.TotalSeconds * rate);
            while (_produced < due)
            {
                var record = generator.Next();
                producer.Produce(topic, new Message<byte[], byte[]> { Key = record.Key, Value = record.Value });
                Interlocked.Increment(ref _produced);
            }

            Thread.Sleep(1);
        }

        producer.Flush(TimeSpan.FromSeconds(10));
    }
}

/// <summary>What <see cref="AlertLatencyRun"/> measured.</summary>
/// <param name="Rate">Events per second produced during the measured period.</param>
/// <param name="Samples">Generates measured.</param>
/// <param name="P50Ms">Median latency beyond the watermark delay, ms.</param>
/// <param name="P99Ms">99th percentile latency beyond the watermark delay, ms.</param>
/// <param name="CaughtUp">Whether the pipeline kept up with the producer before the measured period (within 30 s).</param>
/// <summary>
/// A latency run's figures. <see cref="Expected"/> is the scenarios the generator completed in the measured period
/// (each completes with the event its alert carries as AlertTime); <see cref="Missing"/> those whose alert was not
/// read back: a lost alert counts as missing, never as a sample that is absent (within ±1 at the period's edges).
/// </summary>
internal sealed record LatencyResult(double Rate, int Samples, double P50Ms, double P99Ms, bool CaughtUp, long Expected = 0)
{
    /// <summary>Median of the same latency up to the alert's hand-over to the pipeline's producer (its record's CreateTime), ms.</summary>
    public double HandedOverP50Ms { get; init; }

    /// <summary>99th percentile of the latency up to the hand-over to the producer, ms.</summary>
    public double HandedOverP99Ms { get; init; }

    public long Missing => Math.Max(0, Expected - Samples);
}
