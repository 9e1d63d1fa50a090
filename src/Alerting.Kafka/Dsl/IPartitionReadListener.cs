using Confluent.Kafka;

namespace Alerting.Kafka.Dsl;

/// <summary>
/// Told how far a partitioned source has read each assigned partition, so an application can tell a partition with
/// nothing more to read from one whose records are stuck (see <see cref="ILogEndProbe"/>). The source then asks the
/// consumer for partition ends (<c>enable.partition.eof</c>). Implementations must be quick and never throw.
/// </summary>
public interface IPartitionReadListener
{
    /// <summary>A sub-source is about to emit the record at <paramref name="offset"/> (on the stream's thread, before the push).</summary>
    void Emitting(TopicPartition partition, long offset);

    /// <summary>
    /// The consumer found the end of the partition's log at <paramref name="offset"/> (a fetch answered that no record
    /// follows), and its sub-source has emitted every record before it (on the poll loop's thread). Told once per end
    /// found while a sub-source waits for records; an offset may skip records that were never there (compaction,
    /// transaction markers).
    /// </summary>
    void ReachedEnd(TopicPartition partition, long offset);
}
