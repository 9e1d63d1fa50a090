using Akka.Streams;
using Akka.Streams.Stage;
using Alerting.Events;
using Confluent.Kafka;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The per-record work of a bootstrap's history read, in one stage: takes the records of the partitions assigned by
/// hand (each partition's in offset order), drops those at or past their partition's end offset (where the live stream
/// stood), decodes the others with the decoder of their topic and emits the decoded events; a record the decoder
/// refuses (it went to the dead-letter topic when the live stream read it) is skipped. Pulls whenever it has nothing
/// to emit. Completes once every partition has delivered the record before its end offset (after emitting that
/// record's event, if any), or when upstream completes; fails when upstream fails or a record comes from a partition
/// without an end offset. One stage instead of a chain of selects and filters: each record crosses one stage boundary.
/// </summary>
public sealed class HistoryDecodeStage : GraphStage<FlowShape<ConsumeResult<byte[]?, byte[]>, DeviceEvent>>
{
    private readonly IReadOnlyDictionary<TopicPartition, long> _ends;
    private readonly IReadOnlyDictionary<string, EventDecoder> _decoders;

    /// <param name="ends">Each partition's end offset (exclusive): the partitions read, none of them already at its end.</param>
    /// <param name="decoders">The decoder of each topic read.</param>
    public HistoryDecodeStage(IReadOnlyDictionary<TopicPartition, long> ends, IReadOnlyDictionary<string, EventDecoder> decoders)
    {
        ArgumentNullException.ThrowIfNull(ends);
        ArgumentNullException.ThrowIfNull(decoders);
        _ends = ends;
        _decoders = decoders;
        Shape = new FlowShape<ConsumeResult<byte[]?, byte[]>, DeviceEvent>(In, Out);
    }

    public Inlet<ConsumeResult<byte[]?, byte[]>> In { get; } = new("HistoryDecode.in");

    public Outlet<DeviceEvent> Out { get; } = new("HistoryDecode.out");

    public override FlowShape<ConsumeResult<byte[]?, byte[]>, DeviceEvent> Shape { get; }

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => "HistoryDecode";

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly HistoryDecodeStage _stage;
        private readonly HashSet<TopicPartition> _open;

        // the previous record's partition and its decoder: records come in runs of one partition
        private TopicPartition? _lastPartition;
        private long _lastEnd;
        private EventDecoder? _lastDecoder;

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
            var record = Grab(_stage.In);
            var partition = record.TopicPartition;
            if (!partition.Equals(_lastPartition))
            {
                if (!_stage._ends.TryGetValue(partition, out _lastEnd))
                {
                    throw new InvalidOperationException($"a history record of {partition}, which has no end offset");
                }

                _lastPartition = partition;
                _lastDecoder = _stage._decoders[partition.Topic];
            }

            var offset = record.Offset.Value;
            var last = offset >= _lastEnd - 1 && _open.Remove(partition) && _open.Count == 0;
            var e = offset < _lastEnd
                ? _lastDecoder!.Decode(record.Message.Value ?? [], new RecordOrigin(partition.Topic, partition.Partition.Value, offset)).Event
                : null;
            if (e is not null)
            {
                Push(_stage.Out, e);
                if (last)
                {
                    CompleteStage(); // every partition is read up to where the live stream stood
                }
            }
            else if (last)
            {
                CompleteStage();
            }
            else
            {
                Pull(_stage.In);
            }
        }

        public override void OnPull() => Pull(_stage.In);
    }
}
