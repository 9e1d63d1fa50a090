using System.Collections.Concurrent;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Kafka.Tests.Stages;

/// <summary>Offset resets: records passed over unread are told, not lost in silence.</summary>
public sealed class OffsetResetSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public void Librdkafkas_reset_line_must_be_read_and_other_lines_left_alone()
    {
        const string line = "[thrd:main]: device-events [2]: offset reset (at offset 36772 (leader epoch 0), broker 1) to cached BEGINNING offset offset 36904 (leader epoch -1): fetch failed due to requested offset not available on the broker: Broker: Offset out of range";
        Assert.True(OffsetReset.TryParse("OFFSET", line, out var reset));
        Assert.Equal(new OffsetReset("device-events", 2, 36772, 36904), reset);
        Assert.Equal(132, reset!.Skipped);

        Assert.True(OffsetReset.TryParse("OFFSET", "t [0]: offset reset (at offset 90, broker 2) to END offset 40: fetch failed: Broker: Offset out of range", out var back));
        Assert.Equal((90L, 40L, 0L), (back!.From, back.To, back.Skipped)); // moved back: read again, nothing passed over

        Assert.False(OffsetReset.TryParse("FETCH", line, out _));
        Assert.False(OffsetReset.TryParse("OFFSET", "device-events [2]: stored offset 12", out _));
    }

    [Fact]
    public async Task A_consumer_whose_offset_retention_deleted_must_tell_the_records_it_passed_over()
    {
        // the embedded broker keeps about 5 MiB per partition: 8 uncompressed records of 900 kB push the first ones out
        var topic = Kafka.CreateTopic("offset-reset", 1);
        using (var producer = Kafka.CreateProducer(c => c.CompressionType = CompressionType.None))
        {
            for (var i = 0; i < 8; i++)
            {
                var value = string.Concat(Enumerable.Range(0, 900_000 / 32).Select(_ => Guid.NewGuid().ToString("N")));
                await producer.ProduceAsync(topic, new Message<string, string> { Key = "k", Value = value }, TestContext.Token);
            }
        }

        long logStart;
        using (var probe = Kafka.CreateConsumer(EmbeddedKafkaFixture.NewGroupId("offset-reset-probe")))
        {
            logStart = probe.QueryWatermarkOffsets(new TopicPartition(topic, 0), TimeSpan.FromSeconds(30)).Low.Value;
        }

        Assert.True(logStart > 0, $"the log still starts at {logStart}");
        var resets = new ConcurrentQueue<OffsetReset>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var settings = ConsumerSettings(EmbeddedKafkaFixture.NewGroupId("offset-reset"))
                .WithOffsetResetHandler(resets.Enqueue);
            var (control, records) = KafkaConsumer
                .PlainSource(settings, Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, 0, 0)))
                .ToMaterialized(this.SinkProbe<ConsumeResult<string, string>>(), Keep.Both)
                .Run(Materializer);

            records.Request(1);
            var first = await records.ExpectNextAsync(RebalanceTimeout);
            Assert.Equal(logStart, first.Offset.Value); // the consumer went on from the log start

            records.Cancel(); // the rest of the records stay unread
            await control.Shutdown().WaitAsync(RebalanceTimeout);
        }, Materializer, RebalanceTimeout);

        var reset = Assert.Single(resets);
        Assert.Equal(new OffsetReset(topic, 0, 0, logStart), reset);
        Assert.Equal(logStart, reset.Skipped);
    }
}
