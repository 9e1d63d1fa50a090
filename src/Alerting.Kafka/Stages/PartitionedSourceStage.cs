using System.Collections.Immutable;
using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Stage;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Settings;
using Confluent.Kafka;

namespace Alerting.Kafka.Stages;

/// <summary>
/// The partitioned consumer source: emits one <c>(partition, sub-source)</c> pair per assigned partition, when
/// downstream pulls, in the order Kafka assigned them. Owns the consumer's single poll loop
/// (<see cref="KafkaConsumerLoop{TKey,TValue}"/>), started when the stage starts. A partition revoked before its
/// pair was emitted is not emitted; an emitted sub-source completes on revocation (see
/// <see cref="PartitionSubSourceStage{TKey,TValue,TMessage}"/>). Completes on <see cref="IControl.Stop"/>,
/// <see cref="IControl.Shutdown"/> or downstream cancellation; the consumer then serves commits until
/// <c>Shutdown</c> or the <c>stop-timeout</c>, and closes. Fails when the consumer fails (a fatal client error,
/// a record that cannot be deserialized, a failing <c>getOffsetsOnAssign</c>).
/// </summary>
internal sealed class PartitionedSourceStage<TKey, TValue, TMessage>
    : GraphStageWithMaterializedValue<SourceShape<(TopicPartition, Source<TMessage, NotUsed>)>, IControl>
{
    private readonly ConsumerSettings<TKey, TValue> _settings;
    private readonly ISubscription _subscription;
    private readonly Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, TMessage>> _takerFactory;
    private readonly Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>>? _getOffsetsOnAssign;
    private readonly Action<IImmutableSet<TopicPartition>>? _onRevoke;
    private readonly IPartitionReadListener? _readListener;

    public PartitionedSourceStage(
        ConsumerSettings<TKey, TValue> settings,
        ISubscription subscription,
        Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, TMessage>> takerFactory,
        Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>>? getOffsetsOnAssign = null,
        Action<IImmutableSet<TopicPartition>>? onRevoke = null,
        IPartitionReadListener? readListener = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(subscription);
        _settings = settings;
        _subscription = subscription;
        _takerFactory = takerFactory;
        _getOffsetsOnAssign = getOffsetsOnAssign;
        _onRevoke = onRevoke;
        _readListener = readListener;
        Shape = new SourceShape<(TopicPartition, Source<TMessage, NotUsed>)>(Out);
    }

    public Outlet<(TopicPartition, Source<TMessage, NotUsed>)> Out { get; } = new("KafkaPartitionedSource.out");

    public override SourceShape<(TopicPartition, Source<TMessage, NotUsed>)> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName("KafkaPartitionedSource");

    public override ILogicAndMaterializedValue<IControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var loop = new KafkaConsumerLoop<TKey, TValue>(_settings, _subscription, _getOffsetsOnAssign, _onRevoke, _readListener);
        var logic = new Logic(this, loop);
        return new LogicAndMaterializedValue<IControl>(logic, new ConsumerControl<TKey, TValue>(loop));
    }

    public override string ToString() => $"KafkaPartitionedSource({_subscription})";

    private sealed class Logic : OutGraphStageLogic, IConsumerLoopOwner
    {
        private readonly PartitionedSourceStage<TKey, TValue, TMessage> _stage;
        private readonly KafkaConsumerLoop<TKey, TValue> _loop;
        private readonly RecordTaker<TKey, TValue, TMessage> _take;
        private readonly LinkedList<(TopicPartition Partition, long Epoch)> _toEmit = new();
        private Action<IReadOnlyList<(TopicPartition, long)>>? _onAssigned;
        private Action<IReadOnlyList<TopicPartition>>? _onRevoked;
        private Action<Exception?>? _onEnd;
        private volatile bool _ended;

        public Logic(PartitionedSourceStage<TKey, TValue, TMessage> stage, KafkaConsumerLoop<TKey, TValue> loop)
            : base(stage.Shape)
        {
            _stage = stage;
            _loop = loop;
            _take = stage._takerFactory(loop);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            _onAssigned = GetAsyncCallback<IReadOnlyList<(TopicPartition, long)>>(Assigned);
            _onRevoked = GetAsyncCallback<IReadOnlyList<TopicPartition>>(Revoked);
            _onEnd = GetAsyncCallback<Exception?>(End);
            _loop.Start(this);
        }

        public override void OnPull() => EmitNext();

        public override void OnDownstreamFinish(Exception cause) => CompleteStage();

        public override void PostStop()
        {
            _ended = true;

            // Stopped without Shutdown: serve commits of what is still in the stream for stop-timeout, then close.
            _loop.CloseAfter(_stage._settings.StopTimeout);
        }

        void IConsumerLoopOwner.Assigned(IReadOnlyList<(TopicPartition Partition, long Epoch)> partitions)
        {
            if (!_ended)
            {
                _onAssigned!(partitions);
            }
        }

        void IConsumerLoopOwner.Revoked(IReadOnlyList<TopicPartition> partitions)
        {
            if (!_ended)
            {
                _onRevoked!(partitions);
            }
        }

        void IConsumerLoopOwner.Stopped()
        {
            if (!_ended)
            {
                _ended = true;
                _onEnd!(null);
            }
        }

        void IConsumerLoopOwner.Failed(Exception cause)
        {
            if (!_ended)
            {
                _ended = true;
                _onEnd!(cause);
            }
        }

        private void Assigned(IReadOnlyList<(TopicPartition, long)> partitions)
        {
            foreach (var partition in partitions)
            {
                _toEmit.AddLast(partition);
            }

            EmitNext();
        }

        private void Revoked(IReadOnlyList<TopicPartition> partitions)
        {
            var revoked = partitions.ToHashSet();
            for (var node = _toEmit.First; node is not null;)
            {
                var next = node.Next;
                if (revoked.Contains(node.Value.Partition))
                {
                    _toEmit.Remove(node);
                }

                node = next;
            }
        }

        private void EmitNext()
        {
            if (_toEmit.First is null || !IsAvailable(_stage.Out))
            {
                return;
            }

            var (partition, epoch) = _toEmit.First.Value;
            _toEmit.RemoveFirst();
            var source = Source.FromGraph(new PartitionSubSourceStage<TKey, TValue, TMessage>(_loop, partition, epoch, _take));
            Push(_stage.Out, (partition, source));
        }

        private void End(Exception? cause)
        {
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
