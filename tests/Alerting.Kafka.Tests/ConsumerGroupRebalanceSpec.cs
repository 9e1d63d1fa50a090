using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class ConsumerGroupRebalanceSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task Two_members_must_split_the_partitions_and_the_remaining_one_must_take_all_after_the_other_leaves()
    {
        var ct = TestContext.Token;
        const int partitions = 4;
        var topic = kafka.CreateTopic("split", partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("split");
        var produced = new List<TopicPartitionOffset>();

        async Task<HashSet<TopicPartitionOffset>> Produce(int from, int count)
        {
            var delivered = await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(count, keys: 32, from: from), ct);
            produced.AddRange(delivered.Select(d => d.TopicPartitionOffset));
            return delivered.Select(d => d.TopicPartitionOffset).ToHashSet();
        }

        bool AllRead(GroupMember member, HashSet<TopicPartitionOffset> batch) =>
            batch.IsSubsetOf(member.Consumed.Select(r => r.TopicPartitionOffset));

        await using var a = new GroupMember(kafka.BootstrapServers, group, topic);
        await using var b = new GroupMember(kafka.BootstrapServers, group, topic, start: false);
        string State() =>
            $"a: {a.DistinctCount} records, partitions [{string.Join(",", a.Assignment.Select(p => p.Partition.Value))}]; " +
            $"b: {b.DistinctCount} records, partitions [{string.Join(",", b.Assignment.Select(p => p.Partition.Value))}]; " +
            $"errors: {string.Join(" | ", a.Errors.Concat(b.Errors))}";

        var first = await Produce(0, 100);
        await Eventually.True(() => a.Assignment.Count == partitions && AllRead(a, first), Settle,
            "the only member owns every partition and reads the first batch", ct, State);

        b.Start();
        await Eventually.True(() => a.Assignment.Count == partitions / 2 && b.Assignment.Count == partitions / 2, Settle,
            "two members own half the partitions each", ct, State);
        Assert.Empty(a.Assignment.Intersect(b.Assignment));

        var bPartitions = b.Assignment.Select(tp => tp.Partition.Value).ToHashSet();
        await Produce(100, 200);
        await Eventually.True(() => a.Consumed.Concat(b.Consumed).Select(r => r.TopicPartitionOffset).Distinct().Count() == 300,
            Settle, "the second batch is read", ct, State);
        Assert.NotEmpty(b.Consumed);
        Assert.All(b.Consumed, r => Assert.Contains(r.Partition.Value, bPartitions));

        await b.StopAsync();
        await Eventually.True(() => a.Assignment.Count == partitions, Settle, "the remaining member owns every partition again", ct, State);
        var third = await Produce(300, 100);
        await Eventually.True(() => AllRead(a, third), Settle, "the third batch is read by the remaining member", ct, State);
        Assert.Equal(partitions, third.Select(tpo => tpo.Partition.Value).Distinct().Count());

        // Nothing is lost and nothing foreign appears. Consumer groups deliver at least once: on this broker a member
        // can be rewound to an older committed offset by a rebalance, so repeats are possible and not asserted on.
        var consumed = a.Consumed.Concat(b.Consumed).Select(r => r.TopicPartitionOffset).Distinct().ToList();
        Assert.Equal(produced.Order(OffsetOrder.Instance), consumed.Order(OffsetOrder.Instance));
    }
}
