using System.Collections.Immutable;
using Akka;
using Akka.Streams.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.Kafka.Stages;
using Confluent.Kafka;

namespace Alerting.Kafka.Dsl;

/// <summary>
/// Kafka consumer sources, with Akka.Streams.Kafka's names and shapes. Each materialization owns one consumer
/// and its one poll loop; the materialized <see cref="IControl"/> stops the source and closes the consumer.
/// Partitioned sources use cooperative-sticky assignment unless the settings name another strategy.
/// </summary>
public static class KafkaConsumer
{
    /// <summary>Substreams at once when the flat sources merge the partitioned one.</summary>
    private const int MergeBreadth = 4096;

    /// <summary>
    /// One sub-source of committable messages per assigned partition. A sub-source emits its partition's records
    /// in offset order and completes when the partition is revoked, dropping what it buffered (the next owner reads
    /// it again from the committed offset).
    /// </summary>
    public static Source<(TopicPartition, Source<CommittableMessage<TKey, TValue>, NotUsed>), IControl> CommittablePartitionedSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, IAutoSubscription subscription) =>
        Source.FromGraph(new PartitionedSourceStage<TKey, TValue, CommittableMessage<TKey, TValue>>(
            settings, subscription, Committable(settings)));

    /// <summary>One sub-source of records per assigned partition, without committing (offsets kept elsewhere).</summary>
    public static Source<(TopicPartition, Source<ConsumeResult<TKey, TValue>, NotUsed>), IControl> PlainPartitionedSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, IAutoSubscription subscription) =>
        Source.FromGraph(new PartitionedSourceStage<TKey, TValue, ConsumeResult<TKey, TValue>>(
            settings, subscription, Records<TKey, TValue>()));

    /// <summary>
    /// One sub-source of records per assigned partition, each starting at the offset <paramref name="getOffsetsOnAssign"/>
    /// gives for it (a partition it leaves out starts at the committed offset). <paramref name="onRevoke"/> runs when
    /// partitions are revoked, before their sub-sources complete. Both run on the consumer's poll loop, which waits
    /// for <paramref name="getOffsetsOnAssign"/>'s task: keep them short. A failing <paramref name="getOffsetsOnAssign"/>
    /// fails the source.
    /// </summary>
    public static Source<(TopicPartition, Source<ConsumeResult<TKey, TValue>, NotUsed>), IControl> PlainPartitionedManualOffsetSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings,
        IAutoSubscription subscription,
        Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>> getOffsetsOnAssign,
        Action<IImmutableSet<TopicPartition>>? onRevoke = null)
    {
        ArgumentNullException.ThrowIfNull(getOffsetsOnAssign);
        return Source.FromGraph(new PartitionedSourceStage<TKey, TValue, ConsumeResult<TKey, TValue>>(
            settings, subscription, Records<TKey, TValue>(), getOffsetsOnAssign, onRevoke));
    }

    /// <summary>
    /// As <see cref="PlainPartitionedManualOffsetSource{TKey,TValue}"/>, with committable messages: an application
    /// that keeps its own position (a checkpoint) and still commits to the group.
    /// </summary>
    /// <remarks>
    /// With <paramref name="readListener"/> the source tells how far each partition has been read: each record before
    /// its sub-source emits it, and each log end found once every record before it was emitted.
    /// </remarks>
    public static Source<(TopicPartition, Source<CommittableMessage<TKey, TValue>, NotUsed>), IControl> CommittablePartitionedManualOffsetSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings,
        IAutoSubscription subscription,
        Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>> getOffsetsOnAssign,
        Action<IImmutableSet<TopicPartition>>? onRevoke = null,
        IPartitionReadListener? readListener = null)
    {
        ArgumentNullException.ThrowIfNull(getOffsetsOnAssign);
        return Source.FromGraph(new PartitionedSourceStage<TKey, TValue, CommittableMessage<TKey, TValue>>(
            settings, subscription, Committable(settings), getOffsetsOnAssign, onRevoke, readListener));
    }

    /// <summary>
    /// Records of every assigned partition (or of the partitions assigned by hand), merged: each partition's in
    /// offset order. No committing.
    /// </summary>
    public static Source<ConsumeResult<TKey, TValue>, IControl> PlainSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, ISubscription subscription) =>
        Source.FromGraph(new PartitionedSourceStage<TKey, TValue, ConsumeResult<TKey, TValue>>(
                settings, subscription, Records<TKey, TValue>()))
            .Via(Merged<ConsumeResult<TKey, TValue>>());

    /// <summary>
    /// As <see cref="PlainSource{TKey,TValue}"/>, in chunks: each element is every record of one partition that was
    /// fetched and not yet emitted, in offset order (at most about <c>buffer-size</c>). For readers of a backlog, such as
    /// a history: records cross the merge of the partitions' sub-sources a chunk at a time, not one by one.
    /// </summary>
    public static Source<IReadOnlyList<ConsumeResult<TKey, TValue>>, IControl> PlainChunkSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, ISubscription subscription) =>
        Source.FromGraph(new PartitionedSourceStage<TKey, TValue, IReadOnlyList<ConsumeResult<TKey, TValue>>>(
                settings, subscription, RecordTakers.Chunks<TKey, TValue>()))
            .Via(Merged<IReadOnlyList<ConsumeResult<TKey, TValue>>>());

    /// <summary>Committable messages of every assigned partition (or of the partitions assigned by hand), merged.</summary>
    public static Source<CommittableMessage<TKey, TValue>, IControl> CommittableSource<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings, ISubscription subscription) =>
        Source.FromGraph(new PartitionedSourceStage<TKey, TValue, CommittableMessage<TKey, TValue>>(
                settings, subscription, Committable(settings)))
            .Via(Merged<CommittableMessage<TKey, TValue>>());

    private static Flow<(TopicPartition, Source<TMessage, NotUsed>), TMessage, NotUsed> Merged<TMessage>() =>
        Flow.Create<(TopicPartition, Source<TMessage, NotUsed>)>()
            .MergeMany<(TopicPartition, Source<TMessage, NotUsed>), (TopicPartition, Source<TMessage, NotUsed>), TMessage, NotUsed>(
                MergeBreadth, pair => pair.Item2);

    private static Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, ConsumeResult<TKey, TValue>>> Records<TKey, TValue>() =>
        RecordTakers.OneByOne<TKey, TValue, ConsumeResult<TKey, TValue>>(_ => record => record);

    private static Func<KafkaConsumerLoop<TKey, TValue>, RecordTaker<TKey, TValue, CommittableMessage<TKey, TValue>>> Committable<TKey, TValue>(
        ConsumerSettings<TKey, TValue> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return RecordTakers.OneByOne<TKey, TValue, CommittableMessage<TKey, TValue>>(loop =>
        {
            var group = loop.GroupId;
            return record => new CommittableMessage<TKey, TValue>(
                record,
                new CommittableOffset(loop, new PartitionOffset(new GroupTopicPartition(group, record.Topic, record.Partition.Value), record.Offset)));
        });
    }
}
