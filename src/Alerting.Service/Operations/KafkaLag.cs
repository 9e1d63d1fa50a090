using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.Service.Operations;

/// <summary>How far a consumer group is behind on one partition.</summary>
/// <param name="Group">The consumer group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The group's committed offset; null when it has committed none.</param>
/// <param name="High">The partition's high watermark (the next offset to be written).</param>
/// <param name="Lag">Records not yet committed: high − committed (high − low when nothing is committed).</param>
public sealed record PartitionLag(string Group, string Topic, int Partition, long? Committed, long High, long Lag);

/// <summary>
/// Reads consumer lag from Kafka itself: the group's committed offsets (OffsetFetch, without joining the group) against
/// each partition's watermarks. Offsets are committed after a checkpoint (alert application) or once the entities
/// persisted (dispatcher), so the lag counts what a restart would read again, not only what is unread.
/// </summary>
public static class KafkaLag
{
    /// <summary>The lag of <paramref name="group"/> on every partition of <paramref name="topics"/>, in topic and partition order.</summary>
    /// <exception cref="KafkaException">Kafka could not be asked within <paramref name="timeout"/>.</exception>
    public static IReadOnlyList<PartitionLag> Read(KafkaSettings kafka, string group, IReadOnlyCollection<string> topics, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Count == 0)
        {
            return [];
        }

        List<TopicPartition> partitions;
        using (var admin = KafkaClients.AdminClientBuilder(kafka.AdminConfig("lag")).Build())
        {
            var metadata = admin.GetMetadata(timeout);
            partitions = [.. metadata.Topics
                .Where(t => topics.Contains(t.Topic, StringComparer.Ordinal) && !t.Error.IsError)
                .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, new Partition(p.PartitionId))))
                .OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition.Value)];
        }

        if (partitions.Count == 0)
        {
            return [];
        }

        var config = kafka.ConsumerConfig(group, "lag");
        using var consumer = KafkaClients.ConsumerBuilder<Ignore, Ignore>(config).Build();
        try
        {
            var committed = consumer.Committed(partitions, timeout).ToDictionary(c => c.TopicPartition, c => c.Offset);
            var result = new List<PartitionLag>(partitions.Count);
            foreach (var tp in partitions)
            {
                var watermarks = consumer.QueryWatermarkOffsets(tp, timeout);
                long? at = committed.TryGetValue(tp, out var offset) && offset.Value >= 0 ? offset.Value : null;
                var lag = Math.Max(0, watermarks.High.Value - (at ?? watermarks.Low.Value));
                result.Add(new PartitionLag(group, tp.Topic, tp.Partition.Value, at, watermarks.High.Value, lag));
            }

            return result;
        }
        finally
        {
            consumer.Close(); // never subscribed: leaves nothing behind, commits nothing
        }
    }
}
