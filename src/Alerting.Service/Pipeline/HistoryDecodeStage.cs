using Akka.Streams;
using Akka.Streams.Stage;
using Alerting.Events;
using Confluent.Kafka;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The per-record work of a bootstrap's history read, in one stage: takes chunks of records of the partitions assigned
/// by hand (each chunk of one partition, in offset order), drops the records at or past their partition's end offset
/// (where the live stream stood), decodes the others with the decoder of their topic and emits each chunk's decoded
/// events as one list; a record the decoder refuses (it went to the dead-letter topic when the live stream read it) is
/// skipped, and a chunk with no event is not emitted. Pulls whenever it has nothing to emit. Completes once every
/// partition has delivered the record before its end offset (after emitting that record's chunk), or when upstream
/// completes; fails when upstream fails or a record comes from a partition without an end offset. Records and events
/// cross stage boundaries a chunk at a time: one by one, the hand-overs cost more than decoding and matching.
/// </summary>
public sealed class HistoryDecodeStage : GraphStage<FlowShape<IReadOnlyList<ConsumeResult<Ignore, byte[]>>, IReadOnlyList<DeviceEvent>>>
{
    private readonly IReadOnlyDictionary<TopicPartition, long> _ends;
    private readonly IReadOnlyDictionary<string, EventDecoder> _decoders;

    /// <summary>Reads each partition of <paramref name="ends"/> up to its end offset, decoding with the decoder of its topic.</summary>
    public HistoryDecodeStage(IReadOnlyDictionary<TopicPartition, long> ends, IReadOnlyDictionary<string, EventDecoder> decoders)
    {
        ArgumentNullException.ThrowIfNull(ends);
        ArgumentNullException.ThrowIfNull(decoders);
        _ends = ends;
        _decoders = decoders;
        Shape = new FlowShape<IReadOnlyList<ConsumeResult<Ignore, byte[]>>, IReadOnlyList<DeviceEvent>>(In, Out);
    }

    /// <summary>Chunks of records, each of one partition.</summary>
    public Inlet<IReadOnlyList<ConsumeResult<Ignore, byte[]>>> In { get; } = new("HistoryDecode.in");

    /// <summary>The decoded events of a chunk.</summary>
    public Outlet<IReadOnlyList<DeviceEvent>> Out { get; } = new("HistoryDecode.out");

    /// <inheritdoc />
    public override FlowShape<IReadOnlyList<ConsumeResult<Ignore, byte[]>>, IReadOnlyList<DeviceEvent>> Shape { get; }

    /// <inheritdoc />
    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <inheritdoc />
    public override string ToString() => "HistoryDecode";

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly HistoryDecodeStage _stage;
        private readonly HashSet<TopicPartition> _open;

        public Logic(HistoryDecodeStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            _open = [.. stage._ends.Keys];
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            if (_open.Count == 0)
            {
                CompleteStage();
            }
        }

        public override void OnPush()
        {
            var records = Grab(_stage.In);
            var events = new List<DeviceEvent>(records.Count);
            var last = false;
            if (records.Count > 0)
            {
                var partition = records[0].TopicPartition;
                if (!_stage._ends.TryGetValue(partition, out var end))
                {
                    throw new InvalidOperationException($"a history record of {partition}, which has no end offset");
                }

                var decoder = _stage._decoders[partition.Topic];
                foreach (var record in records)
                {
                    var offset = record.Offset.Value;
                    if (offset >= end)
                    {
                        break; // past where the live stream stood: read by the live stream
                    }

                    if (decoder.Decode(record.Message.Value ?? [], new RecordOrigin(partition.Topic, partition.Partition.Value, offset)).Event is { } e)
                    {
                        events.Add(e);
                    }
                }

                last = records[^1].Offset.Value >= end - 1 && _open.Remove(partition) && _open.Count == 0;
            }

            if (events.Count > 0)
            {
                Push(_stage.Out, events);
            }
            else if (!last)
            {
                Pull(_stage.In);
            }

            if (last)
            {
                CompleteStage(); // every partition is read up to where the live stream stood
            }
        }

        public override void OnPull() => Pull(_stage.In);
    }
}
