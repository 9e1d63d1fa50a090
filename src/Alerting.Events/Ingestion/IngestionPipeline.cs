using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Threading.Channels;
using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Confluent.Kafka;

namespace Alerting.Events;

/// <summary>
/// The ingestion graph of the alert application: Kafka source (a substream per assigned partition of every source
/// topic) → decode (per partition, with the topic's <see cref="EventDecoder"/>) → watermark → the event-time stream
/// <see cref="Timed"/> for the rule matcher.
/// </summary>
/// <remarks>
/// <para>Records that cannot be decoded go to the dead-letter topic with the reason, source topic, partition and
/// offset in headers (<see cref="DeadLetterHeaders"/>), counted per reason; events more than the allowed lateness
/// behind the watermark go to the late topic, counted; events late within the allowed lateness pass on flagged
/// <see cref="DeviceEvent.IsLate"/>. Both side topics are written by one ordered producer flow through a bounded
/// buffer: a slow producer slows ingestion instead of growing memory.</para>
/// <para>Offsets: a dead-lettered or too-late record is marked done once Kafka has acknowledged its copy on the side
/// topic; a good event is marked done when the downstream consumer of <see cref="Timed"/> calls
/// <see cref="Ack(DeviceEvent)"/> (e.g. once no window needs it any more). The source commits only up to the lowest
/// offset still needed, so a restart replays whatever was not finished.</para>
/// <para>Several sources (topics) feed one pipeline: they share one schema (<see cref="SourceDefinition.SharedSchema"/>)
/// and one watermark, whose disorder bound, allowed lateness and idle timeout are the largest of the sources'.</para>
/// <para>Materialize <see cref="Timed"/> once at a time (it runs the consumer). It completes when the consumer stops
/// (<see cref="DrainAndStopAsync"/>), fails when the consumer or the side producer fails, and cancelling it stops the
/// consumer (committing what is done).</para>
/// </remarks>
public sealed class IngestionPipeline
{
    private readonly KafkaConsumerSource _consumer;
    private readonly IProducer<byte[]?, byte[]?> _producer;
    private readonly IngestionSettings _settings;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, EventDecoder> _decoders;
    private readonly AckRegistry _acks = new();
    private readonly TimeSpan _outOfOrderness;
    private readonly TimeSpan _lateness;
    private readonly TimeSpan _idle;

    /// <summary>
    /// Creates the pipeline over <paramref name="consumer"/> (subscribed to the sources' topics, see
    /// <see cref="ConsumerFor"/>), writing side records through <paramref name="producer"/>, which the caller owns.
    /// </summary>
    public IngestionPipeline(
        IReadOnlyList<SourceDefinition> sources,
        KafkaConsumerSource consumer,
        IProducer<byte[]?, byte[]?> producer,
        IngestionSettings settings,
        TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(sources);
        if (sources.Count == 0)
        {
            throw new ArgumentException("At least one source is needed.", nameof(sources));
        }

        _consumer = consumer ?? throw new ArgumentNullException(nameof(consumer));
        _producer = producer ?? throw new ArgumentNullException(nameof(producer));
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.SideBufferSize, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MergeBufferSize, 1, nameof(settings));
        _time = time ?? TimeProvider.System;
        Schema = SourceDefinition.SharedSchema(sources);
        _decoders = new Dictionary<string, EventDecoder>(StringComparer.Ordinal);
        foreach (var source in sources)
        {
            if (!_decoders.TryAdd(source.Topic, new EventDecoder(source, _time, Schema)))
            {
                throw new ArgumentException($"Topic '{source.Topic}' is read by two sources.", nameof(sources));
            }

            if (!consumer.Topics.Contains(source.Topic))
            {
                throw new ArgumentException($"The consumer does not subscribe to '{source.Topic}'.", nameof(consumer));
            }
        }

        _outOfOrderness = sources.Max(s => s.MaxOutOfOrderness);
        _lateness = sources.Max(s => s.AllowedLateness);
        _idle = sources.Max(s => s.IdleTimeout);
    }

    /// <summary>A consumer source subscribed to the topics of <paramref name="sources"/>.</summary>
    public static KafkaConsumerSource ConsumerFor(IEnumerable<SourceDefinition> sources, KafkaConsumerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return new KafkaConsumerSource(settings, sources.Select(s => s.Topic));
    }

    /// <summary>The schema whose slots every decoded event fills.</summary>
    public EventSchema Schema { get; }

    /// <summary>The counters.</summary>
    public IngestionCounters Counters { get; } = new();

    /// <summary>The consumer's counters (commits, pauses, repeats, skipped offsets).</summary>
    public KafkaConsumerCounters ConsumerCounters => _consumer.Counters;

    /// <summary>Good events emitted and not yet acknowledged.</summary>
    public int Unacknowledged => _acks.Count;

    /// <summary>The event-time stream: events (late ones flagged) and watermarks.</summary>
    public Source<Timed> Timed => new(ctx => RunAsync(ctx));

    /// <summary>
    /// Tells the source that downstream is done with <paramref name="ev"/>, so its offset may be committed. False when
    /// the event is not pending (already acknowledged, or not from this pipeline).
    /// </summary>
    public bool Ack(DeviceEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        if (!_acks.TryTake(ev.Topic, ev.Partition, ev.Offset, out var handle))
        {
            return false;
        }

        Interlocked.Increment(ref Counters._acked);
        handle.MarkDone();
        return true;
    }

    /// <summary>Acknowledges the event of <paramref name="timed"/>; watermarks need no acknowledgement (false).</summary>
    public bool Ack(in Timed timed) => timed.Event is { } ev && Ack(ev);

    /// <summary>
    /// Stops taking records, waits up to <paramref name="timeout"/> for every emitted record to be acknowledged (events)
    /// or written (dead letters, late events), commits and leaves the group; <see cref="Timed"/> then completes.
    /// </summary>
    public Task DrainAndStopAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        _consumer.DrainAndStopAsync(timeout, cancellationToken);

    private async IAsyncEnumerable<Timed> RunAsync(StreamContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Ingestion");
        var side = Channel.CreateBounded<ProducerMessage<CommittableOffset>>(new BoundedChannelOptions(_settings.SideBufferSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        using var sideFailed = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var sideRun = Source.FromAsyncEnumerable(side.Reader.ReadAllAsync(CancellationToken.None))
            .Via(KafkaProducer.FlexiFlow<CommittableOffset>(_producer, _settings.ProducerMaxInFlight))
            .RunWith(Sink.ForEach<ProducerResult<CommittableOffset>>(Written), new Materializer(context.TimeProvider, context.Supervision));
        _ = sideRun.Completion.ContinueWith(
            static (t, s) => ((CancellationTokenSource)s!).Cancel(), sideFailed, CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);

        var events = _consumer.Partitioned
            .MergeSubstreams(p => new Source<DeviceEvent>(ctx => DecodeAsync(p, side.Writer, ctx)), _settings.MergeBufferSize)
            .Open(context);
        var tracker = new WatermarkTracker(_outOfOrderness, _lateness, _idle, _time);
        var stage = new WatermarkStage(tracker, (ev, wm, ct) => TooLateAsync(ev, wm, side.Writer, ct), _time, _settings.Watermark);
        var e = stage.Run(events, sideFailed.Token).GetAsyncEnumerator(sideFailed.Token);
        try
        {
            while (true)
            {
                bool has;
                try
                {
                    has = await e.MoveNextAsync();
                }
                catch (OperationCanceledException) when (sideRun.Completion.IsFaulted)
                {
                    await sideRun.Completion;
                    throw;
                }

                if (!has)
                {
                    break;
                }

                yield return e.Current;
            }
        }
        finally
        {
            await e.DisposeAsync();
            side.Writer.TryComplete();
            await ((Task)sideRun.Completion).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            lifetime.Stop();
        }

        // A side failure after the main stream completed still fails the stream.
        await sideRun.Completion;
    }

    private async IAsyncEnumerable<DeviceEvent> DecodeAsync(
        AssignedPartition partition,
        ChannelWriter<ProducerMessage<CommittableOffset>> side,
        StreamContext context,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var decoder = _decoders[partition.TopicPartition.Topic];
        await foreach (var record in partition.Records.Open(context).WithCancellation(cancellationToken))
        {
            var value = record.Value ?? [];
            var origin = new RecordOrigin(record.Topic, record.Partition, record.Offset);
            var result = decoder.Decode(value, origin);
            Counters.Decode.Count(result);
            if (result.Event is { } ev)
            {
                _acks.Add(ev.Topic, ev.Partition, ev.Offset, record.CommittableOffset);
                Interlocked.Increment(ref Counters._events);
                yield return ev;
            }
            else
            {
                var dead = DeadLetterHeaders.ForDecodeFailure(record.Key, value, origin, result);
                await side.WriteAsync(ToMessage(_settings.DeadLetterTopic, dead, record.CommittableOffset), cancellationToken);
            }
        }
    }

    private async ValueTask TooLateAsync(DeviceEvent ev, long watermark, ChannelWriter<ProducerMessage<CommittableOffset>> side, CancellationToken cancellationToken)
    {
        // The event leaves the main path here: its offset is done once the late topic has it.
        _acks.TryTake(ev.Topic, ev.Partition, ev.Offset, out var handle);
        await side.WriteAsync(ToMessage(_settings.LateTopic, DeadLetterHeaders.ForTooLate(ev, watermark), handle), cancellationToken);
    }

    private void Written(ProducerResult<CommittableOffset> result)
    {
        result.PassThrough.MarkDone();
        if (result.Topic == _settings.LateTopic)
        {
            Interlocked.Increment(ref Counters._tooLate);
        }
        else
        {
            Interlocked.Increment(ref Counters._deadLettered);
        }
    }

    private static ProducerMessage<CommittableOffset> ToMessage(string topic, DeadLetterRecord record, CommittableOffset handle)
    {
        var headers = new Headers();
        foreach (var (name, bytes) in record.Headers)
        {
            headers.Add(name, bytes);
        }

        var value = MemoryMarshal.TryGetArray(record.Value, out var segment) && segment.Offset == 0 && segment.Count == segment.Array!.Length
            ? segment.Array
            : record.Value.ToArray();
        return ProducerMessage<CommittableOffset>.Of(topic, record.Key, value, headers, handle);
    }
}
