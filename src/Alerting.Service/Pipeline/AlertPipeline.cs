using System.Globalization;
using Alerting.Enrichment;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Rules;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert application's pipeline: consume the events topic as a member of the alert consumer group →
/// decode (bad records to the dead-letter topic with the reason) → watermark (too-late events to the late
/// topic) → match (the compiled rule set, per device in event-time order once the watermark passes) →
/// enrich (the lookup join) → alerts topic.
/// With a <see cref="DeviceConfigLookup"/>, each batch's alerts are enriched before they are produced (the
/// lookup join): the device ids of the batch are resolved in one call, each alert record carries its device's
/// overrides, and an alert whose rule gave no info gets the device's level, info and SLA info
/// (<c>level=3 info=line-2 sla=sla-tier-3</c>); a rule's own info is kept as it is. A device with no row
/// passes with no overrides and its info unchanged.
/// </summary>
/// <remarks>
/// Recovery. Every <c>alerting.alert.checkpoint-interval</c> the pipeline waits until Kafka acknowledged every
/// record it produced, then stores a checkpoint per owned partition (<see cref="AlertCheckpoint"/>: the matcher's
/// snapshot of the partition's devices, the watermark it released events up to, and the oldest offset still
/// needed: that of the oldest event waiting for the watermark) in the persistence store — written on another
/// thread while matching goes on — and, once it is stored, commits that offset to Kafka. A partition assigned to the pipeline (at start, or after a rebalance) is restored from its checkpoint
/// and read again from that offset; records the snapshot already holds are skipped, so the matcher continues
/// where it stopped and replayed alerts carry the same ids. A checkpoint is not taken while a partition is still
/// reading back what its previous one covers. A stop drains (finish the batch, flush, checkpoint, commit);
/// <see cref="Kill"/> stops without any of it, as a crash would.
/// </remarks>
public sealed partial class AlertPipeline
{
    private readonly AlertingSettings _settings;
    private readonly PipelineCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private readonly RuleSet _rules;
    private readonly DeviceConfigLookup? _lookup;
    private readonly AlertCheckpointStore? _checkpoints;
    private readonly CancellationTokenSource _kill = new();
    private readonly Action<DeliveryReport<byte[]?, byte[]>> _onDelivery;
    private long _consumed;
    private long _failedDeliveries;
    private long _checkpointsTaken;

    /// <summary>
    /// Creates the pipeline; without <paramref name="lookup"/> alerts are produced as the rules give them, without
    /// <paramref name="checkpoints"/> only offsets are committed (a restart rebuilds no matcher state).
    /// </summary>
    public AlertPipeline(
        AlertingSettings settings,
        RuleSet rules,
        PipelineCounters counters,
        TimeProvider time,
        ILoggerFactory loggerFactory,
        DeviceConfigLookup? lookup = null,
        AlertCheckpointStore? checkpoints = null)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = settings;
        _rules = rules;
        _counters = counters;
        _time = time;
        _lookup = lookup;
        _checkpoints = checkpoints;
        _log = loggerFactory.CreateLogger<AlertPipeline>();
        _onDelivery = report =>
        {
            if (report.Error.IsError)
            {
                Interlocked.Increment(ref _failedDeliveries);
            }
        };
    }

    /// <summary>Checkpoints stored so far (one per checkpoint, however many partitions it covered).</summary>
    public long CheckpointsTaken => Interlocked.Read(ref _checkpointsTaken);

    /// <summary>
    /// Stops the pipeline the way a crash would: no flush, no checkpoint, no commit. What it produced since its
    /// last checkpoint may or may not have reached Kafka; its successor replays from that checkpoint.
    /// </summary>
    public void Kill() => _kill.Cancel();

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
    /// Runs until cancelled; then finishes the batch in flight, waits for the acknowledgements, stores the final
    /// checkpoint, commits and leaves the group.
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

        var consumerConfig = kafka.ConsumerConfig(_settings.AlertGroupId, "alert");
        var producerConfig = kafka.ProducerConfig("alert");

        var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(producerConfig).Build();
        stage.Producer = producer;
        var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(consumerConfig)
            .SetPartitionsAssignedHandler((_, assigned) => OnAssigned(stage, assigned))
            .SetPartitionsRevokedHandler((c, revoked) => OnRevoked(stage, c, revoked))
            .SetPartitionsLostHandler((_, lost) => Release(stage, lost))
            .Build();
        consumer.Subscribe(source.Topic);
        var batch = new List<ConsumeResult<byte[]?, byte[]>>(_settings.AlertBatchSize);
        var killed = _kill.Token;
        var nextCheckpoint = _time.GetUtcNow() + _settings.AlertCheckpointInterval;
        try
        {
            while (!cancellationToken.IsCancellationRequested && !killed.IsCancellationRequested)
            {
                batch.Clear();
                var first = Consume(consumer, TimeSpan.FromMilliseconds(100), cancellationToken);
                if (first is not null)
                {
                    batch.Add(first);
                    while (batch.Count < _settings.AlertBatchSize && Consume(consumer, TimeSpan.Zero, cancellationToken) is { } next)
                    {
                        batch.Add(next);
                    }

                    // What was read is finished even when a stop comes meanwhile (a lookup waiting for its database
                    // included); only a kill cuts it short.
                    ProcessBatch(batch, stage, killed);
                }

                // Without input too: idle partitions may still move the watermark and fire timers (absent rules).
                AdvanceWatermark(stage, killed);
                if (stage.PendingWrite is { Write.IsCompleted: true } written)
                {
                    Complete(stage, consumer, written);
                }

                // Not cancelled by a stop: a checkpoint under way is finished, then the drain takes the final one.
                // One whose store write has not finished yet delays the next (tried again next round).
                if (_time.GetUtcNow() >= nextCheckpoint && !killed.IsCancellationRequested
                    && Checkpoint(stage, consumer, [.. stage.Owned.Keys], killed, wait: false))
                {
                    nextCheckpoint = _time.GetUtcNow() + _settings.AlertCheckpointInterval;
                }
            }

            if (!killed.IsCancellationRequested)
            {
                // Drain: everything read so far is matched and produced; wait for the acknowledgements, store the
                // final checkpoint and leave the group.
                Checkpoint(stage, consumer, [.. stage.Owned.Keys], killed, wait: true);
                stage.Draining = true;
                consumer.Close();
            }
        }
        catch (OperationCanceledException) when (killed.IsCancellationRequested)
        {
            // killed in the middle of a checkpoint or a lookup: the end a crash would have
        }
        finally
        {
            // After a failure or a kill: no flush, no checkpoint; the next owner replays from the last checkpoint.
            stage.Draining = true;
            consumer.Dispose();
            producer.Dispose();
        }
    }

    // A partition assigned to this instance: its matcher state comes back from its checkpoint, and it is read
    // from the checkpoint's offset (Kafka's committed offset when it has none).
    private List<TopicPartitionOffset> OnAssigned(BatchState stage, List<TopicPartition> assigned)
    {
        var result = new List<TopicPartitionOffset>(assigned.Count);
        var fresh = stage.Engine.Watermark == long.MinValue && stage.Owned.Count == 0;
        var floor = long.MaxValue;
        foreach (var tp in assigned)
        {
            var key = new SourcePartition(tp.Topic, tp.Partition.Value);
            stage.Tracker.Register(tp.Topic, tp.Partition.Value);
            var checkpoint = _checkpoints?.LoadAsync(_settings.AlertGroupId, key, _kill.Token).GetAwaiter().GetResult();
            stage.Owned[key] = new PartitionProgress(checkpoint);
            if (checkpoint is null)
            {
                result.Add(new TopicPartitionOffset(tp, Offset.Unset));
                continue;
            }

            var restored = stage.Engine.RestorePartition(key, checkpoint.EngineState);
            LogRestored(tp.Topic, tp.Partition.Value, restored.Devices, restored.DroppedRuleStates, checkpoint.Resume, checkpoint.Position);
            floor = Math.Min(floor, checkpoint.ReleasedUpTo);
            result.Add(new TopicPartitionOffset(tp, new Offset(checkpoint.Resume)));
        }

        if (fresh && floor != long.MaxValue)
        {
            // A restart: event time resumes where the checkpoints left it (nothing is waiting yet, so nothing fires).
            stage.Engine.OnWatermark(floor, stage.Alerts);
            stage.Tracker.RaiseTo(floor);
        }

        return result;
    }

    // Cooperative rebalance: hand the partitions over with a fresh checkpoint, so their next owner replays little.
    private void OnRevoked(BatchState stage, IConsumer<byte[]?, byte[]> consumer, List<TopicPartitionOffset> revoked)
    {
        if (!_kill.IsCancellationRequested && !stage.Draining)
        {
            var keys = revoked.Select(tp => new SourcePartition(tp.Topic, tp.Partition.Value)).Where(stage.Owned.ContainsKey).ToList();
            Checkpoint(stage, consumer, keys, _kill.Token, wait: true);
        }

        Release(stage, revoked);
    }

    // Revoked or lost: forget the partitions' devices and waiting events; their next owner rebuilds them.
    private static void Release(BatchState stage, List<TopicPartitionOffset> partitions)
    {
        foreach (var tp in partitions)
        {
            var key = new SourcePartition(tp.Topic, tp.Partition.Value);
            stage.Owned.Remove(key);
            stage.Engine.RemovePartition(key);
            stage.Tracker.Remove(tp.Topic, tp.Partition.Value);
        }
    }

    /// <summary>
    /// Waits for every produced record's acknowledgement, takes a checkpoint of <paramref name="partitions"/> (the
    /// matcher's snapshots and offsets, on this thread) and writes it to the store on another, so matching goes on
    /// meanwhile; once written, the resume offsets are committed to Kafka (<see cref="Complete"/>). With
    /// <paramref name="wait"/> it waits for the write (a drain, a revocation); without, it returns false and does
    /// nothing while the previous write is still under way. A partition still reading back what its previous
    /// checkpoint covers keeps that checkpoint. A store that fails is logged and retried at the next checkpoint;
    /// nothing is committed then.
    /// </summary>
    private bool Checkpoint(BatchState stage, IConsumer<byte[]?, byte[]> consumer, List<SourcePartition> partitions, CancellationToken cancellationToken, bool wait)
    {
        if (stage.PendingWrite is { } previous)
        {
            if (!wait && !previous.Write.IsCompleted)
            {
                return false;
            }

            Complete(stage, consumer, previous);
        }

        stage.Producer!.Flush(Timeout.InfiniteTimeSpan);
        var failed = Interlocked.Exchange(ref _failedDeliveries, 0);
        if (failed > 0)
        {
            // Records Kafka did not take must not be covered by a checkpoint: stop, so the last one is replayed.
            throw new InvalidOperationException($"{failed} produced records were not acknowledged by Kafka; stopping so the input since the last checkpoint is replayed");
        }

        var ready = new List<SourcePartition>(partitions.Count);
        foreach (var key in partitions)
        {
            if (stage.Owned.TryGetValue(key, out var progress) && progress.Position >= 0
                && (progress.Restored is null || progress.Position >= progress.Restored.Position))
            {
                ready.Add(key);
            }
        }

        if (ready.Count == 0)
        {
            return true;
        }

        var pending = stage.Engine.OldestPendingOffsets();
        var checkpoints = new Dictionary<SourcePartition, AlertCheckpoint>(ready.Count);
        var snapshots = _checkpoints is null ? null : stage.Engine.SnapshotPartitions(ready);
        foreach (var key in ready)
        {
            var position = stage.Owned[key].Position;
            var resume = pending.TryGetValue(key, out var oldest) ? Math.Min(oldest, position) : position;
            checkpoints[key] = new AlertCheckpoint(resume, position, stage.Engine.Watermark, snapshots?[key] ?? []);
        }

        var store = _checkpoints;
        var write = store is null
            ? Task.CompletedTask
            : Task.Run(() => store.SaveAsync(_settings.AlertGroupId, checkpoints, cancellationToken), CancellationToken.None);
        stage.PendingWrite = new PendingCheckpoint(write, checkpoints);
        if (wait)
        {
            Complete(stage, consumer, stage.PendingWrite);
        }

        return true;
    }

    /// <summary>Waits for a checkpoint's write; when stored, commits the offsets of the partitions still owned.</summary>
    private void Complete(BatchState stage, IConsumer<byte[]?, byte[]> consumer, PendingCheckpoint pending)
    {
        stage.PendingWrite = null;
        try
        {
            pending.Write.GetAwaiter().GetResult();
        }
#pragma warning disable CA1031 // a store that is down must not stop matching: the next checkpoint retries
        catch (Exception ex) when (ex is not OperationCanceledException)
#pragma warning restore CA1031
        {
            LogCheckpointFailed(ex);
            return;
        }

        var owned = pending.Checkpoints.Where(c => stage.Owned.ContainsKey(c.Key)).ToList();
        foreach (var (key, _) in owned)
        {
            stage.Owned[key].Restored = null;
        }

        Interlocked.Increment(ref _checkpointsTaken);
        if (owned.Count == 0)
        {
            return;
        }

        try
        {
            consumer.Commit(owned.Select(c => new TopicPartitionOffset(c.Key.Topic, c.Key.Partition, c.Value.Resume)));
        }
        catch (KafkaException ex) when (!ex.Error.IsFatal)
        {
            // A partition revoked meanwhile: its checkpoint is stored, which is what its next owner reads.
            LogCommitFailed(ex.Error.Reason);
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

    private void ProcessBatch(List<ConsumeResult<byte[]?, byte[]>> batch, BatchState stage, CancellationToken cancellationToken)
    {
        long good = 0, bad = 0, late = 0;
        var topics = stage.Topics;
        var producer = stage.Producer!;
        PartitionProgress? progress = null;
        SourcePartition current = default;
        foreach (var record in batch)
        {
            var key = new SourcePartition(record.Topic, record.Partition.Value);
            if (progress is null || key != current)
            {
                current = key;
                progress = stage.Owned.GetValueOrDefault(key);
            }

            if (progress is null)
            {
                // Read before its partition was revoked in the same poll: the next owner reads it from the checkpoint.
                continue;
            }

            var offset = record.Offset.Value;
            var value = record.Message.Value ?? [];
            var origin = new RecordOrigin(record.Topic, record.Partition.Value, offset);
            var result = stage.Decoder.Decode(value, origin);
            var replay = progress.Restored;
            progress.Position = offset + 1;

            if (replay is not null && replay.Covers(offset, result.IsOk ? result.Event!.EventTime : null))
            {
                // Read again after a restore: the checkpoint's snapshot already holds it (or it was dead-lettered).
                if (result.IsOk)
                {
                    stage.Tracker.Advance(record.Topic, record.Partition.Value, result.Event!.EventTime);
                }

                continue;
            }

            if (!result.IsOk)
            {
                bad++;
                producer.Produce(topics.DeadLetter, ToMessage(DeadLetterHeaders.ForDecodeFailure(record.Message.Key, value, origin, result)), _onDelivery);
                continue;
            }

            good++;
            var ev = result.Event!;
            if (replay is not null && offset < replay.Position)
            {
                // Waiting for the watermark when the checkpoint was taken: back into the matcher's buffer.
                stage.Tracker.Advance(record.Topic, record.Partition.Value, ev.EventTime);
                stage.Engine.OnEvent(ev, stage.Alerts);
                continue;
            }

            if (stage.Tracker.Observe(ev) == Lateness.TooLate)
            {
                late++;
                producer.Produce(topics.Late, ToMessage(DeadLetterHeaders.ForTooLate(ev, stage.Tracker.Watermark)), _onDelivery);
                continue;
            }

            stage.Engine.OnEvent(ev, stage.Alerts);
        }

        Interlocked.Add(ref _consumed, batch.Count);
        _counters.AddEventsIn(good);
        _counters.AddDeadLetter(bad);
        _counters.AddLate(late);
        Emit(stage, cancellationToken);
    }

    private void AdvanceWatermark(BatchState stage, CancellationToken cancellationToken)
    {
        stage.Tracker.Refresh();
        if (stage.Tracker.Watermark != WatermarkTracker.NoWatermark)
        {
            stage.Engine.OnWatermark(stage.Tracker.Watermark, stage.Alerts);
        }

        Emit(stage, cancellationToken);
    }

    private void Emit(BatchState stage, CancellationToken cancellationToken)
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

            stage.Producer!.Produce(stage.Topics.Alerts, AlertRecords.ToRecord(alert, overrides), _onDelivery);
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

        /// <summary>The partitions this instance owns, and how far it has read each.</summary>
        public Dictionary<SourcePartition, PartitionProgress> Owned { get; } = [];

        public IProducer<byte[]?, byte[]>? Producer { get; set; }

        /// <summary>Set once the final checkpoint is stored: the revocations of leaving the group store nothing more.</summary>
        public bool Draining { get; set; }

        /// <summary>The checkpoint being written to the store, if any.</summary>
        public PendingCheckpoint? PendingWrite { get; set; }
    }

    /// <summary>A checkpoint handed to the store: the write under way and what it holds.</summary>
    private sealed record PendingCheckpoint(Task Write, Dictionary<SourcePartition, AlertCheckpoint> Checkpoints);

    /// <summary>An owned partition: the next offset to read (−1 before the first record) and the checkpoint it was restored from, until read past.</summary>
    private sealed class PartitionProgress(AlertCheckpoint? restored)
    {
        public long Position { get; set; } = -1;

        public AlertCheckpoint? Restored { get; set; } = restored;
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

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "consume error, continuing: {Reason}")]
    private partial void LogConsumeError(string reason);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Information, Message = "{Topic}/{Partition} restored: {Devices} devices ({Dropped} rule states of removed rules dropped), reading again from offset {Resume} (checkpoint taken at {Position})")]
    private partial void LogRestored(string topic, int partition, int devices, int dropped, long resume, long position);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "checkpoint not stored, retrying at the next one (nothing committed meanwhile)")]
    private partial void LogCheckpointFailed(Exception ex);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "offset commit refused after a stored checkpoint: {Reason}")]
    private partial void LogCommitFailed(string reason);
}
