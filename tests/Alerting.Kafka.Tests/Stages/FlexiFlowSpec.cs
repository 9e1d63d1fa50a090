using Akka;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Kafka.Tests.Stages;

/// <summary>KafkaProducer.FlexiFlow over the embedded broker.</summary>
public sealed class FlexiFlowSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public async Task FlexiFlow_must_emit_one_result_per_envelope_in_envelope_order_with_its_pass_through()
    {
        var topic = Kafka.CreateTopic("flexi-order", partitions: 4);
        var envelopes = Enumerable.Range(0, 300).Select(i => (i % 3) switch
        {
            0 => ProducerMessage.Single(new ProducerRecord<string, string>(topic, $"device-{i % 17}", $"single-{i}"), i),
            1 => ProducerMessage.Multi(
                [
                    new ProducerRecord<string, string>(topic, $"device-{i % 17}", $"multi-{i}-a"),
                    new ProducerRecord<string, string>(topic, $"device-{i % 17}", $"multi-{i}-b"),
                ],
                i),
            _ => ProducerMessage.PassThrough<string, string, int>(i),
        });

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var results = await Source.From(envelopes)
                .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings()))
                .RunWith(Sink.Seq<IResults<string, string, int>>(), Materializer);

            Assert.Equal(Enumerable.Range(0, 300), results.Select(r => r.PassThrough));
            for (var i = 0; i < results.Count; i++)
            {
                switch (i % 3)
                {
                    case 0:
                        var single = Assert.IsType<Result<string, string, int>>(results[i]);
                        Assert.Equal($"single-{i}", single.Message.Record.Message.Value);
                        Assert.True(single.Offset.Value >= 0);
                        break;
                    case 1:
                        var multi = Assert.IsType<MultiResult<string, string, int>>(results[i]);
                        Assert.Equal([$"multi-{i}-a", $"multi-{i}-b"], multi.Parts.Select(p => p.Record.Message.Value));
                        Assert.True(multi.Parts[0].Metadata.Offset.Value < multi.Parts[1].Metadata.Offset.Value);
                        break;
                    default:
                        Assert.IsType<PassThroughResult<string, string, int>>(results[i]);
                        break;
                }
            }
        }, Materializer, RebalanceTimeout);

        var written = await Kafka.ReadAsync(topic, 300, RebalanceTimeout, TestContext.Token);
        Assert.Equal(300, written.Count);
    }

    [Fact]
    public async Task FlexiFlow_must_stop_pulling_at_parallelism_envelopes_in_flight_and_complete_after_the_last_delivery()
    {
        var topic = Kafka.CreateTopic("flexi-backpressure", partitions: 1);
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // The envelopes' source is fused with the flow (no buffer between them): what it emitted is what the flow pulled.
            var pulled = 0;
            var envelopes = Enumerable.Range(0, 4).Select(i => i < 3
                ? ProducerMessage.Single(new ProducerRecord<string, string>(topic, "k", $"v{i}"), i)
                : ProducerMessage.PassThrough<string, string, int>(i));
            var downstream = Source.From(envelopes)
                .Select(e =>
                {
                    Interlocked.Increment(ref pulled);
                    return e;
                })
                .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings().WithParallelism(2)))
                .RunWith(this.SinkProbe<IResults<string, string, int>>(), Materializer);

            downstream.EnsureSubscription();
            await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref pulled) == 2), RebalanceTimeout);

            // Two envelopes in flight and nobody takes their results: no third pull.
            await Task.Delay(300);
            Assert.Equal(2, Volatile.Read(ref pulled));

            downstream.Request(1);
            Assert.Equal(0, (await downstream.ExpectNextAsync()).PassThrough);
            await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref pulled) == 3), RebalanceTimeout);

            downstream.Request(5);
            Assert.Equal(1, (await downstream.ExpectNextAsync()).PassThrough);
            Assert.Equal(2, (await downstream.ExpectNextAsync()).PassThrough);
            Assert.Equal(3, (await downstream.ExpectNextAsync()).PassThrough);
            await downstream.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);

        var written = await Kafka.ReadAsync(topic, 3, RebalanceTimeout, TestContext.Token);
        Assert.Equal(["v0", "v1", "v2"], written.Select(r => r.Message.Value));
    }

    [Fact]
    public async Task FlexiFlow_must_fail_on_a_delivery_error()
    {
        var topic = Kafka.CreateTopic("flexi-error", partitions: 1);
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var run = Source.From(
                [
                    ProducerMessage.Single(new ProducerRecord<string, string>(topic, 0, new Message<string, string> { Key = "k", Value = "fine" }), 0),
                    ProducerMessage.Single(new ProducerRecord<string, string>(topic, 7, new Message<string, string> { Key = "k", Value = "no such partition" }), 1),
                ])
                .Via(KafkaProducer.FlexiFlow<string, string, int>(ProducerSettings()))
                .RunWith(Sink.Seq<IResults<string, string, int>>(), Materializer);

            var error = await Assert.ThrowsAsync<ProduceException<string, string>>(() => run);
            Assert.Equal(ErrorCode.Local_UnknownPartition, error.Error.Code);
        }, Materializer, RebalanceTimeout);
    }
}
