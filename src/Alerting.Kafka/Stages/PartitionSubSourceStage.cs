using Akka;
using Akka.Streams;
using Akka.Streams.Stage;
using Confluent.Kafka;

namespace Alerting.Kafka.Stages;

/// <summary>
/// Takes what a partition's sub-source emits next from the records it has buffered (at least one, in offset order):
/// the element, and the offset of the last record it took.
/// </summary>
internal delegate (TMessage Message, long LastOffset) RecordTaker<TKey, TValue, TMessage>(Queue<ConsumeResult<TKey, TValue>> buffered);

/// <summary>The two ways a partition's sub-source emits: a message per record, or every buffered record as one chunk.</summary>
internal static class RecordTakers
{
    /// <summary>One record at a time, converted by the message factory of the source's poll loop.</summary>
    public static Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, TMessage>> OneByOne<TKey, TValue, TMessage>(
        Func<KafkaConsumerLoop<TKey, TValue>, Func<ConsumeResult<TKey, TValue>, TMessage>> factory) =>
        loop =>
        {
            var toMessage = factory(loop);
            return buffered =>
            {
                var record = buffered.Dequeue();
                return (toMessage(record), record.Offset.Value);
            };
        };

    /// <summary>Every buffered record at once, as one chunk: a merge downstream hands over one element per chunk.</summary>
    public static Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, IReadOnlyList<ConsumeResult<TKey, TValue>>>> Chunks<TKey, TValue>() =>
        _ => buffered =>
        {
            var chunk = new ConsumeResult<TKey, TValue>[buffered.Count];
            for (var i = 0; i < chunk.Length; i++)
            {
                chunk[i] = buffered.Dequeue();
            }

            return (chunk, chunk[^1].Offset.Value);
        };
}

/// <summary>
/// The source of one assigned partition, emitted by <see cref="PartitionedSourceStage{TKey,TValue,TMessage}"/>.
/// Emits the partition's records in offset order, taken by the source's <see cref="RecordTaker{TKey,TValue,TMessage}"/>. When downstream pulls
/// and nothing is buffered it asks the poll loop for records (the partition is resumed only while asked for, and
/// paused otherwise); the loop answers with what it fetched, which is buffered here. Completes, dropping what is
/// buffered, when the partition is revoked or the source stops emitting (the records are read again by whoever
/// owns the partition next, from the committed offset); completes at once if materialized after its partition
/// was revoked. Fails when the consumer fails.
/// </summary>
internal sealed class PartitionSubSourceStage<TKey, TValue, TMessage> : GraphStage<SourceShape<TMessage>>
{
    private readonly KafkaConsumerLoop<TKey, TValue> _loop;
    private readonly TopicPartition _partition;
    private readonly long _epoch;
    private readonly RecordTaker<TKey, TValue, TMessage> _take;

    public PartitionSubSourceStage(
        KafkaConsumerLoop<TKey, TValue> loop,
        TopicPartition partition,
        long epoch,
        RecordTaker<TKey, TValue, TMessage> take)
    {
        _loop = loop;
        _partition = partition;
        _epoch = epoch;
        _take = take;
        Shape = new SourceShape<TMessage>(Out);
    }

    public Outlet<TMessage> Out { get; } = new("KafkaPartitionSource.out");

    public override SourceShape<TMessage> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName("KafkaPartitionSource");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    public override string ToString() => $"KafkaPartitionSource({_partition})";

    private sealed class Logic : OutGraphStageLogic, IPartitionSink<TKey, TValue>
    {
        private readonly PartitionSubSourceStage<TKey, TValue, TMessage> _stage;
        private readonly Queue<ConsumeResult<TKey, TValue>> _buffer = new();
        private Action<List<ConsumeResult<TKey, TValue>>>? _onRecords;
        private Action<Exception?>? _onEnd;
        private volatile bool _ended;
        private bool _requested;

        public Logic(PartitionSubSourceStage<TKey, TValue, TMessage> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            _onRecords = GetAsyncCallback<List<ConsumeResult<TKey, TValue>>>(Receive);
            _onEnd = GetAsyncCallback<Exception?>(End);
            _stage._loop.Register(_stage._partition, _stage._epoch, this);
        }

        public override void OnPull()
        {
            if (_buffer.Count > 0)
            {
                Emit();
            }

            RequestIfEmpty();
        }

        public override void OnDownstreamFinish(Exception cause) => CompleteStage();

        public override void PostStop()
        {
            _ended = true;
            _buffer.Clear();
            _stage._loop.Unregister(_stage._partition, _stage._epoch);
        }

        void IPartitionSink<TKey, TValue>.Deliver(List<ConsumeResult<TKey, TValue>> records)
        {
            if (!_ended)
            {
                _onRecords!(records);
            }
        }

        void IPartitionSink<TKey, TValue>.Revoked() => Finish(null);

        void IPartitionSink<TKey, TValue>.Stopped() => Finish(null);

        void IPartitionSink<TKey, TValue>.Failed(Exception cause) => Finish(cause);

        private void Finish(Exception? cause)
        {
            if (!_ended)
            {
                _ended = true;
                _onEnd!(cause);
            }
        }

        private void Receive(List<ConsumeResult<TKey, TValue>> records)
        {
            _requested = false;
            foreach (var record in records)
            {
                _buffer.Enqueue(record);
            }

            if (IsAvailable(_stage.Out) && _buffer.Count > 0)
            {
                Emit();
            }

            RequestIfEmpty();
        }

        private void Emit()
        {
            var (message, lastOffset) = _stage._take(_buffer);
            if (!_ended)
            {
                _stage._loop.ReadListener?.Emitting(_stage._partition, lastOffset); // before the push; a revoked sub-source's records count for nobody
            }

            Push(_stage.Out, message);
        }

        private void RequestIfEmpty()
        {
            if (_buffer.Count == 0 && !_requested)
            {
                _requested = true;
                _stage._loop.Request(_stage._partition, _stage._epoch);
            }
        }

        private void End(Exception? cause)
        {
            // Buffered records of a revoked partition are dropped, never emitted after the revocation: the next
            // owner reads them from the committed offset.
            _buffer.Clear();
            if (cause is null)
            {
                CompleteStage();
            }
            else
            {
                FailStage(cause);
            }
        }
    }
}
