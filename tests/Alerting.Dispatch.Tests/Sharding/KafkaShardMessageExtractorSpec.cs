using System.Globalization;
using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Dispatch.Sharding;
using Alerting.Kafka;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// The shard id of a device is the partition the project's producers put its records on: keys are produced over the
/// embedded broker, read back, and the partition each landed on is compared with the extractor's shard.
/// </summary>
public sealed class KafkaShardMessageExtractorSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : Akka.TestKit.Xunit2.TestKit("akka.loglevel = WARNING", output), IClassFixture<EmbeddedKafkaFixture>
{
    /// <summary>Device ids of several shapes: short, long (over one 4-byte block and with every tail length), non-ASCII, empty.</summary>
    private static IReadOnlyList<string> DeviceIds { get; } =
    [
        .. Enumerable.Range(0, 300).Select(i => string.Create(CultureInfo.InvariantCulture, $"press-{i}")),
        .. Enumerable.Range(1, 40).Select(n => new string('d', n)),
        "Pumpe-Größe-ü-7", "机床-12", "😀-device", "",
        new string('x', 256),
    ];

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(32)]
    public async Task The_shard_of_a_device_is_the_partition_a_producer_of_the_project_puts_its_key_on(int partitions)
    {
        var topic = kafka.CreateTopic("shard-extractor", partitions);
        var messages = DeviceIds.Select(id => new Message<string, string> { Key = id, Value = "v" }).ToList();
        await kafka.ProduceAsync(topic, messages, CancellationToken.None);

        var read = await kafka.ReadAsync(topic, messages.Count, TimeSpan.FromSeconds(60), CancellationToken.None);
        var extractor = new KafkaShardMessageExtractor(partitions);
        Assert.Equal(messages.Count, read.Count);
        Assert.All(read, record =>
            Assert.Equal(KafkaShardMessageExtractor.ShardIdOf(record.Partition.Value), extractor.ShardId(record.Message.Key)));
        Assert.All(read, record => Assert.Equal(extractor.ShardId(record.Message.Key), extractor.ShardId(new DeviceEnvelope(record.Message.Key, "m"))));
        if (partitions > 1)
        {
            Assert.True(read.Select(r => r.Partition.Value).Distinct().Count() > 1, "the keys should spread over the partitions");
        }
    }

    [Fact]
    public async Task The_producer_stage_on_its_default_settings_puts_a_key_on_the_partition_of_its_shard()
    {
        const int partitions = 12;
        var topic = kafka.CreateTopic("shard-extractor-stage", partitions);
        var settings = ProducerSettings<string, string>.Create(Sys, null, null).WithBootstrapServers(kafka.BootstrapServers);
        var extractor = new KafkaShardMessageExtractor(partitions);

        var results = await Source.From(DeviceIds)
            .Select(id => ProducerMessage.Single(new ProducerRecord<string, string>(topic, id, "v"), id))
            .Via(KafkaProducer.FlexiFlow<string, string, string>(settings))
            .RunWith(Sink.Seq<IResults<string, string, string>>(), Sys.Materializer());

        Assert.Equal(DeviceIds.Count, results.Count);
        Assert.All(results, r =>
        {
            var result = Assert.IsType<Result<string, string, string>>(r);
            Assert.Equal(extractor.ShardId(result.PassThrough), KafkaShardMessageExtractor.ShardIdOf(result.Metadata.Partition.Value));
        });
    }

    [Fact]
    public void Murmur2_gives_the_values_of_Kafkas_Java_client()
    {
        Assert.Equal(-973932308, (int)KafkaPartitioner.Murmur2("21"u8));
        Assert.Equal(-790332482, (int)KafkaPartitioner.Murmur2("foobar"u8));
        Assert.Equal(-985981536, (int)KafkaPartitioner.Murmur2("a-little-bit-long-string"u8));
        Assert.Equal(-1486304829, (int)KafkaPartitioner.Murmur2("a-little-bit-longer-string"u8));
        Assert.Equal(-58897971, (int)KafkaPartitioner.Murmur2("lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8"u8));
        Assert.Equal(479470107, (int)KafkaPartitioner.Murmur2("abc"u8));
    }

    [Fact]
    public void A_string_key_is_hashed_as_its_UTF8_bytes_whatever_its_length()
    {
        foreach (var id in DeviceIds.Append(new string('é', 5000)))
        {
            Assert.Equal(KafkaPartitioner.PartitionOf(Encoding.UTF8.GetBytes(id), 64), KafkaPartitioner.PartitionOf(id, 64));
        }
    }

    [Fact]
    public void Only_device_envelopes_are_routed()
    {
        var extractor = new KafkaShardMessageExtractor(8);
        Assert.Null(extractor.EntityId("not an envelope"));
        Assert.Null(extractor.ShardId("not an envelope" as object));
        var envelope = new DeviceEnvelope("press-1", 42);
        Assert.Equal("press-1", extractor.EntityId(envelope));
        Assert.Equal(42, extractor.EntityMessage(envelope));
        Assert.Throws<ArgumentOutOfRangeException>(() => new KafkaShardMessageExtractor(0));
    }
}
