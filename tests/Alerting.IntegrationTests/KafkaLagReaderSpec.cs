using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Alerting.Service.Operations;
using Alerting.Service.Settings;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.IntegrationTests;

/// <summary>The consumer lag behind <c>/metrics</c> and <c>GET /api/lag</c>, read over the Kafka protocol.</summary>
public sealed class KafkaLagReaderSpec
{
    [Fact]
    public async Task Lag_must_count_from_the_committed_offset_or_the_earliest_one_and_reuse_one_client()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var cluster = EmbeddedKafkaCluster.Start();
        const string topic = "lag-events";
        cluster.CreateTopic(topic, 3);
        var records = new[] { 5, 0, 3 };
        using (var producer = KafkaTestClients.CreateProducer(cluster.BootstrapServers))
        {
            for (var p = 0; p < records.Length; p++)
            {
                for (var i = 0; i < records[p]; i++)
                {
                    await producer.ProduceAsync(new TopicPartition(topic, p), new Message<string, string> { Key = "d", Value = "{}" }, cts.Token);
                }
            }
        }

        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        var kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers };
        using var reader = new KafkaLagReader();
        var timeout = TimeSpan.FromSeconds(10);

        // nothing committed: everything from the earliest offset is lag
        var before = await reader.ReadAsync(kafka, "lag-group", [topic, "no-such-topic"], timeout, cts.Token);
        Assert.Equal([0, 1, 2], before.Select(l => l.Partition));
        Assert.All(before, l => Assert.Null(l.Committed));
        Assert.Equal(records.Select(n => (long)n), before.Select(l => l.High));
        Assert.Equal(records.Select(n => (long)n), before.Select(l => l.Lag));

        using (var consumer = KafkaTestClients.CreateConsumer(cluster.BootstrapServers, "lag-group"))
        {
            consumer.Commit([new TopicPartitionOffset(topic, 0, 2), new TopicPartitionOffset(topic, 2, 3)]);
        }

        var after = await reader.ReadAsync(kafka, "lag-group", [topic], timeout, cts.Token);
        Assert.Equal([2L, null, 3L], after.Select(l => l.Committed));
        Assert.Equal([3L, 0L, 0L], after.Select(l => l.Lag));
        Assert.All(after, l => Assert.Equal("lag-group", l.Group));

        // another group's lag is its own; the reads shared one admin client
        var other = await reader.ReadAsync(kafka, "other-group", [topic], timeout, cts.Token);
        Assert.Equal(8L, other.Sum(l => l.Lag));
        Assert.Equal(1, reader.ClientsBuilt);
        Assert.Empty(await reader.ReadAsync(kafka, "lag-group", ["no-such-topic"], timeout, cts.Token));
    }
}
