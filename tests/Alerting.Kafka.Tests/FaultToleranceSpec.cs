using Alerting.Kafka.Embedded;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

/// <summary>Faults are cluster-wide, so each test here starts its own cluster and shares nothing.</summary>
public sealed class FaultToleranceSpec
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task A_consumer_must_read_every_record_exactly_once_while_the_leader_goes_down_moves_and_comes_back()
    {
        var ct = TestContext.Token;
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        const string topic = "leader-down";
        cluster.CreateTopic(topic, partitions: 3, replicationFactor: 3);
        for (var p = 0; p < 3; p++)
        {
            cluster.SetPartitionLeader(topic, p, 1);
        }

        // Everything is produced before the fault: a plain idempotent producer whose ack is lost would write
        // duplicates on this broker, which is a producer concern; this test is about the consumer.
        const int total = 30_000;
        var produced = await KafkaTestClients.ProduceAsync(cluster.BootstrapServers, topic, KafkaTestClients.Numbered(total, keys: 50), ct);

        using var consumer = KafkaTestClients.CreateConsumer(cluster.BootstrapServers, "unused", c =>
        {
            // Small fetches and a small local queue, so the fault hits while most records are still on the broker.
            c.MaxPartitionFetchBytes = 16 * 1024;
            c.QueuedMaxMessagesKbytes = 64;
        });
        consumer.Assign(Enumerable.Range(0, 3).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));

        var read = await KafkaTestClients.OnOwnThread(() =>
        {
            var before = KafkaTestClients.ReadUntil(consumer, total / 3, Timeout, ct);
            cluster.SetBrokerDown(1);
            var stalled = consumer.Consume(TimeSpan.FromMilliseconds(500));
            cluster.SetPartitionLeader(topic, 0, 2);
            // Partition 0 now has a live leader; the others wait for broker 1 (records may also come from the local queue).
            var moved = KafkaTestClients.ReadUntil(consumer, 100, Timeout, ct);
            cluster.SetBrokerUp(1);
            var after = KafkaTestClients.ReadUntil(consumer, total - before.Count - moved.Count - (stalled is null ? 0 : 1), Timeout, ct);
            var extra = consumer.Consume(TimeSpan.FromMilliseconds(500));
            Assert.Null(extra);
            return before.Concat(stalled is null ? [] : [stalled]).Concat(moved).Concat(after).ToList();
        }, ct);
        consumer.Close();

        Assert.Equal(total, read.Count);
        Assert.Equal(produced.Select(d => d.TopicPartitionOffset).Order(OffsetOrder.Instance),
            read.Select(r => r.TopicPartitionOffset).Order(OffsetOrder.Instance));
        Assert.Equal(produced.Select(d => d.Message.Value).Order(), read.Select(r => r.Message.Value).Order());
    }

    [Fact]
    public async Task Retriable_request_errors_must_cause_retries_but_no_loss_and_no_repeats()
    {
        var ct = TestContext.Token;
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        const string topic = "flaky";
        cluster.CreateTopic(topic, partitions: 4, replicationFactor: 3);

        cluster.PushRequestErrors(KafkaApiKey.Produce,
            ErrorCode.NotLeaderForPartition, ErrorCode.RequestTimedOut, ErrorCode.Local_Transport,
            ErrorCode.NotEnoughReplicas, ErrorCode.LeaderNotAvailable);
        cluster.PushRequestErrors(KafkaApiKey.Fetch,
            ErrorCode.NotLeaderForPartition, ErrorCode.Local_Transport, ErrorCode.UnknownTopicOrPart);

        const int total = 5_000;
        var produced = await KafkaTestClients.ProduceAsync(cluster.BootstrapServers, topic, KafkaTestClients.Numbered(total, keys: 40), ct);
        var read = await KafkaTestClients.ReadAsync(cluster.BootstrapServers, topic, total, Timeout, ct);

        // The injected errors were all spent on requests the clients retried: a producer that never retries now succeeds.
        using var probe = KafkaTestClients.CreateProducer(cluster.BootstrapServers, c =>
        {
            c.EnableIdempotence = false;
            c.MessageSendMaxRetries = 0;
        });
        var probed = await probe.ProduceAsync(topic, new Message<string, string> { Key = "probe", Value = "probe" }, ct);

        Assert.Equal(PersistenceStatus.Persisted, probed.Status);
        Assert.Equal(total, read.Count);
        Assert.Equal(produced.Select(d => d.TopicPartitionOffset).Order(OffsetOrder.Instance),
            read.Select(r => r.TopicPartitionOffset).Order(OffsetOrder.Instance));
        Assert.Equal(produced.Select(d => d.Message.Value).Order(), read.Select(r => r.Message.Value).Order());
    }
}
