using Akka;
using Akka.Actor;
using Akka.Streams.Dsl;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Settings;
using Alerting.Rules;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// A partition's history for a rule's bootstrap, read from Kafka with the project's Kafka stages: a plain source with
/// partitions assigned by hand, starting at the broker's offsets for the time asked (ListOffsets by timestamp, the
/// records' CreateTime), stopping at the end offsets given (where the live stream stood at the swap). Records are
/// decoded as the live stream decodes them; a record the decoder refuses went to the dead-letter topic when the live
/// stream read it and is skipped here. Where a partition's retained log starts after the time asked (its offset for
/// the time is the log start, above 0), the history before it is past Kafka's retention: that is logged as a warning
/// (event id <see cref="LogEvents.BootstrapPastRetention"/>), counted, and the bootstrap goes on from what there is.
/// Where the broker gives no offset for the time (no record stamped at or after it, or a broker that does not look
/// offsets up by time, as librdkafka's mock cluster), the partition is read from its log start: the bootstrap's
/// event-time window, not the offset, decides what is matched, so this costs reading, never correctness.
/// </summary>
public sealed partial class KafkaRuleHistory : IRuleHistory
{
    private static readonly TimeSpan QueryTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Records handed from the consumer's poll loop to the history stream per request; the loop pauses a partition once
    /// 16 times this many wait. A catch-up read always has records waiting: with the live stream's 128 each hand-over
    /// (an async callback into the stream) carries few records. Measured in the bootstrap benchmark (warm pass, same
    /// run), 2,048 took about a quarter less CPU per history event than 128; 8,192 was no better.
    /// </summary>
    private const int HistoryBufferSize = 2048;

    private readonly ActorSystem _system;
    private readonly AlertingSettings _settings;
    private readonly IReadOnlyDictionary<string, SourceDefinition> _sources;
    private readonly EventSchema _schema;
    private readonly TimeProvider _time;
    private readonly PipelineCounters _counters;
    private readonly ILoggerFactory _loggerFactory;
    private readonly ILogger _log;

    /// <param name="system">Runs the consumer stage's actor.</param>
    /// <param name="settings">The service's settings: the broker and the consumer properties.</param>
    /// <param name="sources">The source definitions by topic (the decoders' mappings).</param>
    /// <param name="schema">The event schema the rules are compiled against.</param>
    /// <param name="time">The decoders' wall clock.</param>
    /// <param name="counters">Counts partitions whose history was partly past retention.</param>
    /// <param name="loggerFactory">Logs.</param>
    public KafkaRuleHistory(ActorSystem system, AlertingSettings settings, IReadOnlyDictionary<string, SourceDefinition> sources, EventSchema schema, TimeProvider time, PipelineCounters counters, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(sources);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentNullException.ThrowIfNull(counters);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _system = system;
        _settings = settings;
        _sources = sources;
        _schema = schema;
        _time = time ?? TimeProvider.System;
        _counters = counters;
        _loggerFactory = loggerFactory;
        _log = loggerFactory.CreateLogger<KafkaRuleHistory>();
    }

    /// <inheritdoc />
    public Source<DeviceEvent, NotUsed> Read(IReadOnlyDictionary<SourcePartition, long> endOffsets, long fromTime)
    {
        ArgumentNullException.ThrowIfNull(endOffsets);
        var ends = endOffsets.ToDictionary(kv => new TopicPartition(kv.Key.Topic, kv.Key.Partition), kv => kv.Value);
        var groupId = $"{_settings.AlertGroupId}-bootstrap-{Guid.NewGuid():N}"; // never joins nor commits: offsets are assigned by hand
        var config = _settings.Kafka.ConsumerConfig(groupId, "bootstrap");
        // the offsets queries block for up to their timeout: on a thread of their own, never on the pool the streams run on
        var starting = Task.Factory.StartNew(() => StartOffsets(config, ends, fromTime), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        // chunks cross the stages' boundaries; the events are handed out one by one only at the end, in the reader's stage
        return Source.FromTask(starting)
            .ConcatMany(starts => starts.Count == 0 ? Source.Empty<IReadOnlyList<DeviceEvent>>() : ReadFrom(config, starts, ends))
            .SelectMany(events => events);
    }

    private List<TopicPartitionOffset> StartOffsets(ConsumerConfig config, Dictionary<TopicPartition, long> ends, long fromTime)
    {
        KafkaNative.EnsureLoaded();
        var starts = new List<TopicPartitionOffset>(ends.Count);
        using var probe = new ConsumerBuilder<byte[]?, byte[]>(config).Build();
        try
        {
            var asked = ends.Keys.Select(tp => new TopicPartitionTimestamp(tp, new Timestamp(fromTime, TimestampType.CreateTime))).ToList();
            foreach (var found in probe.OffsetsForTimes(asked, QueryTimeout))
            {
                var end = ends[found.TopicPartition];
                var low = probe.QueryWatermarkOffsets(found.TopicPartition, QueryTimeout).Low.Value;
                var (start, kind) = StartOf(found.Offset.Value, low);
                if (kind == HistoryStart.NoOffsetForTime)
                {
                    LogNoOffsetForTime(found.Topic, found.Partition.Value, DateTimeOffset.FromUnixTimeMilliseconds(fromTime), low);
                }
                else if (kind == HistoryStart.PastRetention)
                {
                    _counters.CountBootstrapRetentionGap();
                    LogPastRetention(found.Topic, found.Partition.Value, DateTimeOffset.FromUnixTimeMilliseconds(fromTime), low);
                }

                if (start < end)
                {
                    starts.Add(new TopicPartitionOffset(found.TopicPartition, start));
                }
            }
        }
        finally
        {
            probe.Close();
        }

        LogReading(starts.Count, DateTimeOffset.FromUnixTimeMilliseconds(fromTime), starts.Sum(s => ends[s.TopicPartition] - s.Offset.Value));
        return starts;
    }

    /// <summary>
    /// Where a partition's history starts, from the broker's offset for the time (negative: none) and the partition's
    /// log start: at the offset for the time, or the log start when there is none; an offset for the time that is the
    /// log start, above 0, means the history asked for began before what the log still holds.
    /// </summary>
    public static (long Start, HistoryStart Kind) StartOf(long offsetForTime, long logStart)
    {
        if (offsetForTime < 0)
        {
            return (logStart, HistoryStart.NoOffsetForTime);
        }

        return (offsetForTime, offsetForTime == logStart && logStart > 0 ? HistoryStart.PastRetention : HistoryStart.AtTime);
    }

    private Source<IReadOnlyList<DeviceEvent>, NotUsed> ReadFrom(ConsumerConfig config, List<TopicPartitionOffset> starts, Dictionary<TopicPartition, long> ends)
    {
        // the history needs a record's topic, partition, offset and value: no key is copied, no headers nor timestamps are
        // marshalled. It commits nothing, so its consumer closes as soon as the stream stops (stop-timeout 0): a consumer
        // kept for the default stop-timeout would hold its threads, its connection and the whole history stream that long
        var consumerSettings = ConsumerSettings<Ignore, byte[]>.Create(_system, Deserializers.Ignore, Deserializers.ByteArray)
            .WithProperties(new ConsumerConfig(config) { ConsumeResultFields = "topic" })
            .WithBufferSize(HistoryBufferSize)
            .WithStopTimeout(TimeSpan.Zero)
            .WithLogger(_loggerFactory.CreateLogger("Alerting.Kafka.BootstrapConsumer"));
        var decoders = starts.Select(s => s.Topic).Distinct(StringComparer.Ordinal)
            .ToDictionary(t => t, t => new EventDecoder(_sources[t], _time, _schema), StringComparer.Ordinal);
        var reading = starts.ToDictionary(s => s.TopicPartition, s => ends[s.TopicPartition]);
        return KafkaConsumer.PlainChunkSource(consumerSettings, Subscriptions.AssignmentWithOffset([.. starts]))
            .Via(new HistoryDecodeStage(reading, decoders))
            .MapMaterializedValue(_ => NotUsed.Instance);
    }

    [LoggerMessage(EventId = LogEvents.BootstrapPastRetention, Level = LogLevel.Warning, Message = "bootstrap history of {Topic}/{Partition} asked from {From:O} starts at the log start (offset {LogStart}): what came before is past Kafka's retention; bootstrapping from what there is")]
    private partial void LogPastRetention(string topic, int partition, DateTimeOffset from, long logStart);

    [LoggerMessage(EventId = LogEvents.BootstrapNoOffsetForTime, Level = LogLevel.Information, Message = "bootstrap history of {Topic}/{Partition}: the broker gives no offset for {From:O}; reading from the log start (offset {LogStart})")]
    private partial void LogNoOffsetForTime(string topic, int partition, DateTimeOffset from, long logStart);

    [LoggerMessage(EventId = LogEvents.BootstrapStarted, Level = LogLevel.Information, Message = "bootstrap reads {Partitions} source partitions from {From:O}: {Records} records")]
    private partial void LogReading(int partitions, DateTimeOffset from, long records);
}

/// <summary>How a bootstrap's history starts in a partition (see <see cref="KafkaRuleHistory.StartOf"/>).</summary>
public enum HistoryStart
{
    /// <summary>At the offset for the time asked.</summary>
    AtTime,

    /// <summary>At the log start, which is the offset for the time: what came before is past Kafka's retention.</summary>
    PastRetention,

    /// <summary>At the log start: the broker gave no offset for the time.</summary>
    NoOffsetForTime,
}
