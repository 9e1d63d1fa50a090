using System.Text;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class RoundTripSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_produced_record_must_be_consumed_with_its_key_value_headers_and_timestamp()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("round-trip", partitions: 3);
        var createdAt = new DateTime(2026, 11, 22, 8, 30, 15, 123, DateTimeKind.Utc);
        var messages = Enumerable.Range(0, 300).Select(i => new Message<string, string>
        {
            Key = $"device-{i % 7}",
            Value = $"{{\"seq\":{i}}}",
            Timestamp = new Timestamp(createdAt.AddMilliseconds(i)),
            Headers = new Headers
            {
                { "source", Encoding.UTF8.GetBytes($"line-{i % 3}") },
                { "seq", BitConverter.GetBytes(i) },
            },
        }).ToList();

        var delivered = await kafka.ProduceAsync(topic, messages, ct);
        var read = await kafka.ReadAsync(topic, messages.Count, ReadTimeout, ct);

        Assert.Equal(messages.Count, read.Count);
        var bySeq = read.ToDictionary(r => BitConverter.ToInt32(r.Message.Headers.GetLastBytes("seq")));
        Assert.Equal(Enumerable.Range(0, messages.Count), bySeq.Keys.Order());
        foreach (var (seq, record) in bySeq)
        {
            var sent = messages[seq];
            Assert.Equal(sent.Key, record.Message.Key);
            Assert.Equal(sent.Value, record.Message.Value);
            Assert.Equal(sent.Timestamp.UnixTimestampMs, record.Message.Timestamp.UnixTimestampMs);
            Assert.Equal(TimestampType.CreateTime, record.Message.Timestamp.Type);
            Assert.Equal($"line-{seq % 3}", Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes("source")));
            Assert.Equal(delivered[seq].TopicPartitionOffset, record.TopicPartitionOffset);
        }
    }

    [Fact]
    public async Task Records_of_one_key_must_land_in_one_partition_in_production_order()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("key-order", partitions: 4);
        var messages = KafkaTestClients.Numbered(2_000, keys: 10).ToList();

        await kafka.ProduceAsync(topic, messages, ct);
        var read = await kafka.ReadAsync(topic, messages.Count, ReadTimeout, ct);

        foreach (var byKey in read.GroupBy(r => r.Message.Key))
        {
            Assert.Single(byKey.Select(r => r.Partition.Value).Distinct());
            var values = byKey.OrderBy(r => r.Offset.Value).Select(r => int.Parse(r.Message.Value["value-".Length..], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            Assert.Equal(values.Order(), values);
        }

        Assert.Equal(messages.Count, read.Select(r => r.Message.Value).Distinct().Count());
    }
}
