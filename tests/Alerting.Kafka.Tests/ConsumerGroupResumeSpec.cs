using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class ConsumerGroupResumeSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_new_group_member_must_resume_right_after_the_offsets_committed_by_a_closed_one()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("resume", partitions: 3);
        var group = EmbeddedKafkaFixture.NewGroupId("resume");
        var produced = await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(90, keys: 9), ct);

        List<ConsumeResult<string, string>> first;
        var committed = new List<TopicPartitionOffset>();
        using (var consumer = kafka.CreateConsumer(group))
        {
            consumer.Subscribe(topic);
            first = await KafkaTestClients.ReadUntilAsync(consumer, 40, Timeout, ct);
            committed.AddRange(first
                .GroupBy(r => r.TopicPartition)
                .Select(p => new TopicPartitionOffset(p.Key, p.Max(r => r.Offset.Value) + 1)));
            consumer.Commit(committed);
            consumer.Close();
        }

        List<ConsumeResult<string, string>> second;
        List<TopicPartitionOffset> seenCommitted;
        using (var consumer = kafka.CreateConsumer(group))
        {
            consumer.Subscribe(topic);
            second = await KafkaTestClients.ReadUntilAsync(consumer, produced.Count - first.Count, Timeout, ct);
            // Nothing beyond the rest arrives: no record is delivered twice.
            var extra = consumer.Consume(TimeSpan.FromMilliseconds(500));
            Assert.Null(extra);
            seenCommitted = consumer.Committed(TimeSpan.FromSeconds(10));
            consumer.Close();
        }

        foreach (var partition in second.GroupBy(r => r.TopicPartition))
        {
            var resumedAt = committed.SingleOrDefault(c => c.TopicPartition == partition.Key)?.Offset.Value ?? 0;
            Assert.Equal(resumedAt, partition.Min(r => r.Offset.Value));
        }

        var all = first.Concat(second).Select(r => r.TopicPartitionOffset).ToList();
        Assert.Equal(produced.Select(d => d.TopicPartitionOffset).Order(OffsetOrder.Instance), all.Order(OffsetOrder.Instance));
        Assert.All(committed, c => Assert.Contains(c, seenCommitted));
    }
}

/// <summary>Orders offsets by topic, partition, offset.</summary>
internal sealed class OffsetOrder : IComparer<TopicPartitionOffset>
{
    public static readonly OffsetOrder Instance = new();

    public int Compare(TopicPartitionOffset? x, TopicPartitionOffset? y) =>
        (x, y) switch
        {
            (null, null) => 0,
            (null, _) => -1,
            (_, null) => 1,
            _ => string.CompareOrdinal(x.Topic, y.Topic) is var t and not 0 ? t
                : x.Partition.Value.CompareTo(y.Partition.Value) is var p and not 0 ? p
                : x.Offset.Value.CompareTo(y.Offset.Value),
        };
}
