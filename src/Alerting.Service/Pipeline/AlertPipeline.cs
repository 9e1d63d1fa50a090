using System.Globalization;
using Akka.Alerting.Enrichment;
using Akka.Alerting.Events;
using Akka.Alerting.Kafka;
using Akka.Alerting.Rules;
using Akka.Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Akka.Alerting.Service.Pipeline;

/// <summary>
/// The alert application's pipeline: consume the events topic as a member of the alert consumer group →
/// decode (bad records to the dead-letter topic with the reason) → watermark (too-late events to the late
/// topic) → match (the compiled rule set, per device in event-time order once the watermark passes) →
/// alerts topic → commit. A batch's offsets are committed only after everything it produced is
/// acknowledged by Kafka, so a crash replays records rather than losing them.
/// With a <see cref="DeviceConfigLookup"/>, each batch's alerts are enriched before they are produced (the
/// lookup join): the device ids of the batch are resolved in one call, each alert record carries its device's
/// overrides, and an alert whose rule gave no info gets the device's level, info and SLA info
/// (<c>level=3 info=line-2 sla=sla-tier-3</c>); a rule's own info is kept as it is. A device with no row
/// passes with no overrides and its info unchanged.
/// </summary>
/// <remarks>
/// Events still buffered in the matcher (waiting for the watermark or inside an open window) are committed
/// with their batch, so a crash loses those partial matches; committing only what no window still needs
/// is the next step of this pipeline.
/// </remarks>
public sealed partial class AlertPipeline
{
    private readonly AlertingSettings _settings;
    private readonly PipelineCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly RuleSet _rules;
    private readonly DeviceConfigLookup? _lookup;
    private long _consumed;

    /// <summary>Creates the pipeline; without <paramref name="lookup"/> alerts are produced as the rules give them.</summary>
    public AlertPipeline(AlertingSettings settings, RuleSet rules, PipelineCounters counters, TimeProvider time, ILoggerFactory loggerFactory, DeviceConfigLookup? lookup = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = settings;
        _rules = rules;
        _counters = counters;
        _time = time;
        _lookup = lookup;
        _log = loggerFactory.CreateLogger<AlertPipeline>();
    }

    /// <summary>Records taken from the events topic so far (good and bad).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Waits until <paramref name="produced"/> records were consumed, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForCatchUpAsync(long produced, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (Consumed < produced && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
        }
    }

    /// <summary>
    /// Runs until cancelled; then finishes the batch in flight, flushes, commits and leaves the group.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        var kafka = _settings.Kafka;
        var source = _settings.Sources[0];
        var rules = _rules;
        var decoder = new EventDecoder(source, _time, rules.Schema);
        var tracker = WatermarkTracker.For(source, _time);
        var engine = new RuleEngine(rules, new RuleEngineOptions
        {
            AllowedLateness = source.AllowedLateness,
            OpenAlertTimeToLive = _settings.Rules.OpenAlertTimeToLive,
        });
        var stage = new BatchState(decoder, tracker, engine, kafka.Topics);

        var consumerConfig = KafkaClients.ConsumerConfig(kafka.BootstrapServers, _settings.AlertGroupId, kafka.SessionTimeout, kafka.HeartbeatInterval);
        consumerConfig.ClientId = kafka.ClientId + "-alert";
        consumerConfig.FetchWaitMaxMs = (int)kafka.FetchMaxWait.TotalMilliseconds;
        var producerConfig = KafkaClients.ProducerConfig(kafka.BootstrapServers);
        producerConfig.ClientId = kafka.ClientId + "-alert";
        producerConfig.LingerMs = kafka.Linger.TotalMilliseconds;

        using var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(producerConfig).Build();
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(consumerConfig)
            .SetPartitionsAssignedHandler((_, assigned) =>
            {
                foreach (var tp in assigned)
                {
                    tracker.Register(tp.Topic, tp.Partition.Value);
                }
            })
            .SetPartitionsRevokedHandler((_, revoked) =>
            {
                foreach (var tp in revoked)
                {
                    tracker.Remove(tp.Topic, tp.Partition.Value);
                }
            })
            .Build();
        consumer.Subscribe(source.Topic);
        var batch = new List<ConsumeResult<byte[]?, byte[]>>(_settings.AlertBatchSize);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                batch.Clear();
                var first = Consume(consumer, TimeSpan.FromMilliseconds(100), cancellationToken);
                if (first is null)
                {
                    // No input: idle partitions may still move the watermark and fire timers (absent rules).
                    AdvanceWatermark(stage, producer, cancellationToken);
                    continue;
                }

                batch.Add(first);
                while (batch.Count < _settings.AlertBatchSize && Consume(consumer, TimeSpan.Zero, cancellationToken) is { } next)
                {
                    batch.Add(next);
                }

                ProcessBatch(batch, stage, producer, cancellationToken);
                AdvanceWatermark(stage, producer, cancellationToken);
                Commit(consumer, producer, batch);
            }
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(10));
            consumer.Close();
        }
    }

    private ConsumeResult<byte[]?, byte[]>? Consume(IConsumer<byte[]?, byte[]> consumer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var result = consumer.Consume(timeout);
            return result is { IsPartitionEOF: false } ? result : null;
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            // A retriable fetch error can surface once (ENVIRONMENT.md): keep consuming.
            LogConsumeError(ex.Error.Reason);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
    }

    private void ProcessBatch(List<ConsumeResult<byte[]?, byte[]>> batch, BatchState stage, IProducer<byte[]?, byte[]> producer, CancellationToken cancellationToken)
    {
        long good = 0, bad = 0, late = 0;
        var topics = stage.Topics;
        foreach (var record in batch)
        {
            var value = record.Message.Value ?? [];
            var origin = new RecordOrigin(record.Topic, record.Partition.Value, record.Offset.Value);
            var result = stage.Decoder.Decode(value, origin);
            if (!result.IsOk)
            {
                bad++;
                producer.Produce(topics.DeadLetter, ToMessage(DeadLetterHeaders.ForDecodeFailure(record.Message.Key, value, origin, result)));
                continue;
            }

            good++;
            var ev = result.Event!;
            if (stage.Tracker.Observe(ev) == Lateness.TooLate)
            {
                late++;
                producer.Produce(topics.Late, ToMessage(DeadLetterHeaders.ForTooLate(ev, stage.Tracker.Watermark)));
                continue;
            }

            stage.Engine.OnEvent(ev, stage.Alerts);
        }

        Interlocked.Add(ref _consumed, batch.Count);
        _counters.AddEventsIn(good);
        _counters.AddDeadLetter(bad);
        _counters.AddLate(late);
        Emit(stage, producer, cancellationToken);
    }

    private void AdvanceWatermark(BatchState stage, IProducer<byte[]?, byte[]> producer, CancellationToken cancellationToken)
    {
        stage.Tracker.Refresh();
        if (stage.Tracker.Watermark != WatermarkTracker.NoWatermark)
        {
            stage.Engine.OnWatermark(stage.Tracker.Watermark, stage.Alerts);
        }

        Emit(stage, producer, cancellationToken);
    }

    private void Emit(BatchState stage, IProducer<byte[]?, byte[]> producer, CancellationToken cancellationToken)
    {
        if (stage.Alerts.Count == 0)
        {
            return;
        }

        var configs = Resolve(stage.Alerts, cancellationToken);
        foreach (var raw in stage.Alerts)
        {
            var alert = raw;
            IReadOnlyList<string>? overrides = null;
            if (configs is not null && configs.TryGetValue(alert.DeviceId, out var config) && !config.IsDefault)
            {
                overrides = config.Overrides.Count > 0 ? config.Overrides : null;
                if (string.IsNullOrEmpty(alert.Info))
                {
                    alert = alert with { Info = DeviceInfo(config) };
                }
            }

            producer.Produce(stage.Topics.Alerts, AlertRecords.ToRecord(alert, overrides));
            if (alert.Kind == AlertKind.Generate)
            {
                _counters.AddAlertsOut(1);
            }
            else
            {
                _counters.AddRevokesOut(1);
            }
        }

        stage.Alerts.Clear();
    }

    /// <summary>
    /// The configurations of the alerts' devices in one lookup call, or null without a lookup. The consume loop
    /// runs on its own thread, so it waits for the lookup here (a store being down backpressures the loop).
    /// </summary>
    private IReadOnlyDictionary<string, DeviceConfig>? Resolve(List<AlertEvent> alerts, CancellationToken cancellationToken)
    {
        if (_lookup is null)
        {
            return null;
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        foreach (var alert in alerts)
        {
            ids.Add(alert.DeviceId);
        }

        return _lookup.ResolveAsync(ids, cancellationToken).GetAwaiter().GetResult();
    }

    /// <summary>The INFO of an alert whose rule gave none: the device's level, info and SLA info.</summary>
    internal static string DeviceInfo(DeviceConfig config)
    {
        var info = string.Create(CultureInfo.InvariantCulture, $"level={config.Level}");
        if (!string.IsNullOrEmpty(config.Info))
        {
            info += " info=" + config.Info;
        }

        if (!string.IsNullOrEmpty(config.SlaInfo))
        {
            info += " sla=" + config.SlaInfo;
        }

        return info;
    }

    /// <summary>The per-run parts of the pipeline, owned by its consume thread.</summary>
    private sealed record BatchState(EventDecoder Decoder, WatermarkTracker Tracker, RuleEngine Engine, TopicSettings Topics)
    {
        public List<AlertEvent> Alerts { get; } = [];
    }

    private static Message<byte[]?, byte[]> ToMessage(DeadLetterRecord record)
    {
        var headers = new Headers();
        foreach (var (name, value) in record.Headers)
        {
            headers.Add(name, value);
        }

        return new Message<byte[]?, byte[]> { Key = record.Key, Value = record.Value.ToArray(), Headers = headers };
    }

    private static void Commit(IConsumer<byte[]?, byte[]> consumer, IProducer<byte[]?, byte[]> producer, List<ConsumeResult<byte[]?, byte[]>> batch)
    {
        // Everything this batch produced must be acknowledged before its offsets are committed.
        producer.Flush(Timeout.InfiniteTimeSpan);
        var offsets = batch
            .GroupBy(r => r.TopicPartition)
            .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
            .ToList();
        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException ex) when (!ex.Error.IsFatal)
        {
            // A partition revoked during the batch: its new owner replays from the last commit.
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "consume error, continuing: {Reason}")]
    private partial void LogConsumeError(string reason);
}
