using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// The handle of one emitted record's offset: <see cref="MarkDone"/> tells the partition's
/// <see cref="OffsetTracker"/> that downstream no longer needs the record, so commits may pass it. Small (two
/// references' worth), so it can travel as the pass-through of later stages (e.g. a producer flow).
/// </summary>
public readonly record struct CommittableOffset(OffsetTracker Tracker, long Offset)
{
    /// <summary>The record's partition.</summary>
    public TopicPartition TopicPartition => Tracker.TopicPartition;

    /// <summary>Marks the record done; false when it was not pending (already done, or the partition was revoked).</summary>
    public bool MarkDone() => Tracker?.MarkDone(Offset) ?? false;
}

/// <summary>A record consumed by a <see cref="KafkaConsumerSource"/>, with the handle that marks its offset done.</summary>
public readonly struct CommittableRecord
{
    internal CommittableRecord(ConsumeResult<byte[]?, byte[]?> record, OffsetTracker tracker)
    {
        Record = record;
        Tracker = tracker;
    }

    /// <summary>The record as the consumer returned it (key, value, headers, timestamp, position).</summary>
    public ConsumeResult<byte[]?, byte[]?> Record { get; }

    /// <summary>The tracker of the record's partition (for this assignment).</summary>
    public OffsetTracker Tracker { get; }

    /// <summary>The record's topic.</summary>
    public string Topic => Record.Topic;

    /// <summary>The record's partition.</summary>
    public int Partition => Record.Partition.Value;

    /// <summary>The record's offset.</summary>
    public long Offset => Record.Offset.Value;

    /// <summary>The record's key (null when absent).</summary>
    public byte[]? Key => Record.Message.Key;

    /// <summary>The record's value (null for a tombstone).</summary>
    public byte[]? Value => Record.Message.Value;

    /// <summary>The handle of this record's offset.</summary>
    public CommittableOffset CommittableOffset => new(Tracker, Offset);

    /// <summary>Marks the record done (see <see cref="OffsetTracker.MarkDone"/>).</summary>
    public bool MarkDone() => Tracker.MarkDone(Offset);
}
