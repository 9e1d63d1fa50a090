using System.Globalization;
using System.Text;
using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Alerting.TestKit;
using Alerting.TestKit.Streams;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests.Streaming;

public sealed class KafkaProducerSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static ProducerMessage<int> Message(string topic, int i) => ProducerMessage<int>.Of(
        topic,
        Encoding.UTF8.GetBytes("key-" + (i % 7).ToString(CultureInfo.InvariantCulture)),
        Encoding.UTF8.GetBytes("value-" + i.ToString(CultureInfo.InvariantCulture)),
        null,
        i);

    [Fact]
    public async Task A_producer_flow_must_emit_each_acknowledgement_in_upstream_order_with_its_pass_through()
    {
        var ct = TestContext.Token;
        const int count = 2000;
        var topic = kafka.CreateTopic("producer", 3);
        var settings = new KafkaProducerSettings(KafkaClients.ProducerConfig(kafka.BootstrapServers)) { MaxInFlight = 64 };

        var handle = Source.From(Enumerable.Range(0, count))
            .Select(i => Message(topic, i))
            .Via(KafkaProducer.FlexiFlow<int>(settings))
            .RunWith(Sink.Seq<ProducerResult<int>>());
        var results = await handle.Completion.WaitAsync(ct);

        Assert.Equal(Enumerable.Range(0, count), results.Select(r => r.PassThrough));
        foreach (var partition in results.GroupBy(r => r.Partition))
        {
            var offsets = partition.Select(r => r.Offset).ToList();
            Assert.Equal(Enumerable.Range(0, offsets.Count).Select(o => (long)o), offsets);
        }

        var read = await kafka.ReadAsync(topic, count, TimeSpan.FromSeconds(20), ct);
        var byPosition = read.ToDictionary(r => (r.Partition.Value, r.Offset.Value), r => r.Message.Value);
        Assert.All(results, r => Assert.Equal("value-" + r.PassThrough.ToString(CultureInfo.InvariantCulture), byPosition[(r.Partition, r.Offset)]));
        await StreamAssert.AllStagesStoppedAsync(handle);
    }

    [Fact]
    public async Task A_committable_producer_sink_must_mark_each_source_offset_done_once_its_message_is_acknowledged()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("producer-committable", 2);
        var tracker = new OffsetTracker(new TopicPartition("input", 0));
        for (var offset = 0; offset < 100; offset++)
        {
            tracker.TryRegister(offset);
        }

        using var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]?>(KafkaClients.ProducerConfig(kafka.BootstrapServers)).Build();
        var acked = await Source.From(Enumerable.Range(0, 100))
            .Select(i => ProducerMessage<CommittableOffset>.Of(topic, null, Encoding.UTF8.GetBytes("v" + i.ToString(CultureInfo.InvariantCulture)), null, new CommittableOffset(tracker, i)))
            .RunWith(KafkaProducer.CommittableSink(producer, maxInFlight: 8))
            .Completion.WaitAsync(ct);

        Assert.Equal(100, acked);
        Assert.Equal(100, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public async Task A_producer_flow_must_fail_when_a_message_cannot_be_produced_after_emitting_the_acknowledgements_before_it()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("producer-fail", 1);
        var config = KafkaClients.ProducerConfig(kafka.BootstrapServers);
        config.MessageMaxBytes = 10_000;
        var settings = new KafkaProducerSettings(config) { MaxInFlight = 1 };
        var acked = new List<int>();

        var handle = Source.From(Enumerable.Range(0, 5))
            .Select(i => i == 3
                ? ProducerMessage<int>.Of(topic, null, new byte[20_000], null, i)
                : Message(topic, i))
            .Via(KafkaProducer.FlexiFlow<int>(settings))
            .RunWith(Sink.ForEach<ProducerResult<int>>(r => acked.Add(r.PassThrough)));

        var error = await Assert.ThrowsAnyAsync<KafkaException>(() => handle.Completion.WaitAsync(ct));
        Assert.Equal(ErrorCode.MsgSizeTooLarge, error.Error.Code);
        Assert.Equal([0, 1, 2], acked);
        await StreamAssert.AllStagesStoppedAsync(handle);
    }
}
