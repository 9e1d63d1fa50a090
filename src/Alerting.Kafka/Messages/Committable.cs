using System.Collections.Immutable;
using Confluent.Kafka;

namespace Alerting.Kafka.Messages;

/// <summary>Something whose offsets can be committed to Kafka: one record's offset or a batch of them.</summary>
public interface ICommittable
{
    /// <summary>How many offsets this stands for (1 for a single offset).</summary>
    long BatchSize { get; }

    /// <summary>
    /// Commits the offsets through the consumer that read them. The task completes once Kafka accepted the
    /// commit and fails when it refused it, the consumer is closed or <c>commit-timeout</c> passed. Offsets of
    /// partitions the consumer no longer owns (revoked meanwhile) are not committed: that is logged, and the
    /// partition's next owner reads those records again from the last committed offset.
    /// </summary>
    Task Commit();
}

/// <summary>The offset of one consumed record, committable through the consumer that read it.</summary>
public interface ICommittableOffset : ICommittable
{
    /// <summary>The record's group, topic, partition and offset.</summary>
    PartitionOffset Offset { get; }
}

/// <summary>Several offsets (the latest per partition), committed together.</summary>
public interface ICommittableOffsetBatch : ICommittable
{
    /// <summary>The latest offset per partition in the batch (of the records, not the next ones to read).</summary>
    IImmutableDictionary<GroupTopicPartition, Offset> Offsets { get; }

    /// <summary>A batch that also holds <paramref name="offset"/> (replacing an earlier offset of its partition).</summary>
    ICommittableOffsetBatch Updated(ICommittableOffset offset);

    /// <summary>A batch that also holds every offset of <paramref name="batch"/>.</summary>
    ICommittableOffsetBatch Updated(ICommittableOffsetBatch batch);
}

/// <summary>A consumer group's partition.</summary>
/// <param name="GroupId">The consumer group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition number.</param>
public sealed record GroupTopicPartition(string GroupId, string Topic, int Partition)
{
    /// <summary>The Confluent.Kafka partition.</summary>
    public TopicPartition TopicPartition => new(Topic, Partition);
}

/// <summary>A record's offset in a consumer group's partition.</summary>
/// <param name="Key">The group and partition.</param>
/// <param name="Offset">The record's offset (the commit stores the next one, <c>Offset + 1</c>).</param>
public sealed record PartitionOffset(GroupTopicPartition Key, Offset Offset);

/// <summary>Commits offsets through the consumer that read them (the consumer's poll loop).</summary>
internal interface IInternalCommitter
{
    /// <summary>Commits <paramref name="offsets"/> (the next offsets to read) and completes when Kafka answered.</summary>
    Task Commit(IReadOnlyList<TopicPartitionOffset> offsets);
}

/// <summary>The committable offset of one record.</summary>
public sealed class CommittableOffset : ICommittableOffset
{
    internal CommittableOffset(IInternalCommitter committer, PartitionOffset offset)
    {
        Committer = committer;
        Offset = offset;
    }

    internal IInternalCommitter Committer { get; }

    /// <inheritdoc />
    public PartitionOffset Offset { get; }

    /// <inheritdoc />
    public long BatchSize => 1;

    /// <inheritdoc />
    public Task Commit() =>
        Committer.Commit([new TopicPartitionOffset(Offset.Key.Topic, Offset.Key.Partition, Offset.Offset.Value + 1)]);

    /// <summary>
    /// The committable offset of another record of the same partition, committed through the same consumer: for an
    /// application that keeps its own position and commits the one before the oldest record it still needs.
    /// </summary>
    public CommittableOffset ForOffset(long offset)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(offset);
        return new CommittableOffset(Committer, Offset with { Offset = new Offset(offset) });
    }

    /// <inheritdoc />
    public override string ToString() => $"CommittableOffset({Offset.Key.GroupId} {Offset.Key.Topic}[{Offset.Key.Partition}]@{Offset.Offset.Value})";
}

/// <summary>
/// An immutable batch of committable offsets: the latest offset per group and partition, each with the consumer
/// that read it. Committing commits every partition through its own consumer, one request per consumer.
/// </summary>
public sealed class CommittableOffsetBatch : ICommittableOffsetBatch
{
    private readonly ImmutableDictionary<GroupTopicPartition, (Offset Offset, IInternalCommitter Committer)> _entries;

    private CommittableOffsetBatch(
        ImmutableDictionary<GroupTopicPartition, (Offset Offset, IInternalCommitter Committer)> entries, long batchSize)
    {
        _entries = entries;
        BatchSize = batchSize;
    }

    /// <summary>The batch of nothing.</summary>
    public static CommittableOffsetBatch Empty { get; } = new(ImmutableDictionary<GroupTopicPartition, (Offset, IInternalCommitter)>.Empty, 0);

    /// <summary>A batch of the given committables.</summary>
    public static ICommittableOffsetBatch Create(IEnumerable<ICommittable> committables)
    {
        ArgumentNullException.ThrowIfNull(committables);
        ICommittableOffsetBatch batch = Empty;
        foreach (var committable in committables)
        {
            batch = committable switch
            {
                ICommittableOffset offset => batch.Updated(offset),
                ICommittableOffsetBatch other => batch.Updated(other),
                _ => throw new ArgumentException($"Cannot batch a {committable.GetType().Name}: only offsets read by a Kafka consumer source can be committed."),
            };
        }

        return batch;
    }

    /// <inheritdoc />
    public long BatchSize { get; }

    /// <inheritdoc />
    public IImmutableDictionary<GroupTopicPartition, Offset> Offsets =>
        _entries.ToImmutableDictionary(e => e.Key, e => e.Value.Offset);

    /// <inheritdoc />
    public ICommittableOffsetBatch Updated(ICommittableOffset offset)
    {
        ArgumentNullException.ThrowIfNull(offset);
        if (offset is not CommittableOffset own)
        {
            throw new ArgumentException($"Cannot batch a {offset.GetType().Name}: only offsets read by a Kafka consumer source can be committed.", nameof(offset));
        }

        return new CommittableOffsetBatch(_entries.SetItem(own.Offset.Key, (own.Offset.Offset, own.Committer)), BatchSize + 1);
    }

    /// <inheritdoc />
    public ICommittableOffsetBatch Updated(ICommittableOffsetBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch is not CommittableOffsetBatch own)
        {
            throw new ArgumentException($"Cannot merge a {batch.GetType().Name}.", nameof(batch));
        }

        return new CommittableOffsetBatch(_entries.SetItems(own._entries), BatchSize + own.BatchSize);
    }

    /// <inheritdoc />
    public Task Commit()
    {
        if (_entries.IsEmpty)
        {
            return Task.CompletedTask;
        }

        var commits = _entries
            .GroupBy(e => e.Value.Committer)
            .Select(g => g.Key.Commit(
                g.Select(e => new TopicPartitionOffset(e.Key.Topic, e.Key.Partition, e.Value.Offset.Value + 1)).ToList()))
            .ToList();
        return commits.Count == 1 ? commits[0] : Task.WhenAll(commits);
    }

    /// <inheritdoc />
    public override string ToString() =>
        $"CommittableOffsetBatch({string.Join(", ", _entries.Select(e => $"{e.Key.GroupId} {e.Key.Topic}[{e.Key.Partition}]@{e.Value.Offset.Value}"))})";
}

/// <summary>A consumed record with its committable offset.</summary>
public sealed class CommittableMessage<TKey, TValue>
{
    /// <summary>A committable message.</summary>
    public CommittableMessage(ConsumeResult<TKey, TValue> record, ICommittableOffset commitableOffset)
    {
        Record = record;
        CommitableOffset = commitableOffset;
    }

    /// <summary>The consumed record.</summary>
    public ConsumeResult<TKey, TValue> Record { get; }

    /// <summary>The record's offset, to commit once the record is processed (spelled as in Akka.Streams.Kafka).</summary>
    public ICommittableOffset CommitableOffset { get; }
}
