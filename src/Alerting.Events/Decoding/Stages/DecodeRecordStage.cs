using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;

namespace Alerting.Events;

/// <summary>
/// The decode stage of the alert graph: one inlet of <see cref="SourceRecord{TPassThrough}"/>, an outlet of
/// decoded <see cref="DeviceEvent"/>s (<see cref="Events"/>) and a dead-letter outlet (<see cref="DeadLetters"/>).
/// <para>
/// <b>Emits</b> each record the <see cref="EventDecoder"/> accepts as its event on <see cref="Events"/>, in upstream
/// order; each record it refuses as a <see cref="DeadLetterEnvelope{TPassThrough}"/> on <see cref="DeadLetters"/>:
/// the original key and value with the reason, message, source topic, partition and offset in the headers, and
/// the record's pass-through. Bad input is never dropped and never fails the stream. Every outcome moves the
/// <see cref="DecodeCounters"/> given (shared by any number of partitions).
/// </para>
/// <para>
/// <b>Pulls</b> when it holds no decoded element and at least one outlet has demand; a decoded element waits for
/// demand on its own outlet before the next record is pulled, so each outlet backpressures the stage (one element
/// buffered at most). <b>Completes</b> when upstream completes and the element it holds (if any) is pushed.
/// <b>Cancels</b> upstream when either outlet cancels (a dead-letter outlet nobody reads would lose records).
/// <b>Fails</b> with upstream's failure; an exception from the decoder itself (a bug: bad input is a value, not an
/// exception) fails the stage whatever the supervision strategy.
/// </para>
/// </summary>
/// <typeparam name="TPassThrough">What rides along with each record to the dead-letter outlet.</typeparam>
public sealed class DecodeRecordStage<TPassThrough> : GraphStage<FanOutShape<SourceRecord<TPassThrough>, DeviceEvent, DeadLetterEnvelope<TPassThrough>>>
{
    private readonly EventDecoder _decoder;
    private readonly DecodeCounters? _counters;

    /// <param name="decoder">The decoder of the records' source.</param>
    /// <param name="counters">Counters to move (decoded, and failures by reason); none when null.</param>
    public DecodeRecordStage(EventDecoder decoder, DecodeCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(decoder);
        _decoder = decoder;
        _counters = counters;
        Shape = new FanOutShape<SourceRecord<TPassThrough>, DeviceEvent, DeadLetterEnvelope<TPassThrough>>(In, Events, DeadLetters);
    }

    /// <summary>The raw records.</summary>
    public Inlet<SourceRecord<TPassThrough>> In { get; } = new("decode.in");

    /// <summary>The decoded events.</summary>
    public Outlet<DeviceEvent> Events { get; } = new("decode.events");

    /// <summary>The records that did not decode.</summary>
    public Outlet<DeadLetterEnvelope<TPassThrough>> DeadLetters { get; } = new("decode.dead-letters");

    public override FanOutShape<SourceRecord<TPassThrough>, DeviceEvent, DeadLetterEnvelope<TPassThrough>> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("decode");

    /// <summary>
    /// The stage as a flow of events whose dead letters go to <paramref name="deadLetters"/> (the graph's
    /// <c>DivertTo</c>): the flow's output is <see cref="Events"/>, and the sink's backpressure holds the flow.
    /// </summary>
    public static Flow<SourceRecord<TPassThrough>, DeviceEvent, TMat> DivertingTo<TMat>(
        EventDecoder decoder, Sink<DeadLetterEnvelope<TPassThrough>, TMat> deadLetters, DecodeCounters? counters = null)
    {
        ArgumentNullException.ThrowIfNull(deadLetters);
        var stage = new DecodeRecordStage<TPassThrough>(decoder, counters);
        return Flow.FromGraph(GraphDsl.Create(deadLetters, (b, sink) =>
        {
            var decode = b.Add(stage);
            b.From(decode.Out1).To(sink);
            return new FlowShape<SourceRecord<TPassThrough>, DeviceEvent>(decode.In, decode.Out0);
        }));
    }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : GraphStageLogic
    {
        private readonly DecodeRecordStage<TPassThrough> _stage;
        private DeviceEvent? _event;
        private DeadLetterEnvelope<TPassThrough>? _deadLetter;
        private bool _upstreamDone;

        public Logic(DecodeRecordStage<TPassThrough> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish);
            SetHandler(stage.Events, onPull: Drain);
            SetHandler(stage.DeadLetters, onPull: Drain);
        }

        private void OnPush()
        {
            var record = Grab(_stage.In);
            var origin = record.Origin;
            var result = _stage._decoder.Decode(record.Value, origin);
            _stage._counters?.Count(result);
            if (result.IsOk)
            {
                _event = result.Event;
            }
            else
            {
                _deadLetter = new DeadLetterEnvelope<TPassThrough>(
                    DeadLetterHeaders.ForDecodeFailure(record.Key, record.Value, origin, result), record.PassThrough);
            }

            Drain();
        }

        private void OnUpstreamFinish()
        {
            _upstreamDone = true;
            Drain();
        }

        private void Drain()
        {
            if (_event is { } ev && IsAvailable(_stage.Events))
            {
                _event = null;
                Push(_stage.Events, ev);
            }

            if (_deadLetter is { } dead && IsAvailable(_stage.DeadLetters))
            {
                _deadLetter = null;
                Push(_stage.DeadLetters, dead);
            }

            if (_event is not null || _deadLetter is not null)
            {
                return;
            }

            if (_upstreamDone)
            {
                CompleteStage();
            }
            else if (!HasBeenPulled(_stage.In) && (IsAvailable(_stage.Events) || IsAvailable(_stage.DeadLetters)))
            {
                Pull(_stage.In);
            }
        }
    }
}
