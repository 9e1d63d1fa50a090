using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Embedded;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Kafka.Tests.Stages;

/// <summary>
/// Failures of the consumer side surface as stream failures, never as silently skipped records or commits; a commit the
/// group refuses only because it rebalances is made once it has, without failing the stream.
/// </summary>
public sealed class ConsumerFailureSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    [Fact]
    public async Task PlainSource_must_fail_on_a_record_it_cannot_deserialize()
    {
        var topic = Kafka.CreateTopic("undecodable", 1);
        await ProduceToEveryPartition(topic, 1, perPartition: 1);
        var settings = ConsumerSettings<string, int>.Create(Sys, null, Deserializers.Int32)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithGroupId(EmbeddedKafkaFixture.NewGroupId("undecodable"))
            .WithProperty("auto.offset.reset", "earliest")
            .WithProperty("session.timeout.ms", "6000")
            .WithProperty("heartbeat.interval.ms", "1000");

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, run) = KafkaConsumer.PlainSource(settings, Subscriptions.Topics(topic))
                .ToMaterialized(Sink.Seq<ConsumeResult<string, int>>(), Keep.Both)
                .Run(Materializer);

            var error = await Assert.ThrowsAnyAsync<Exception>(() => run.WaitAsync(RebalanceTimeout));
            var consume = Assert.IsType<ConsumeException>(error is AggregateException a ? a.Flatten().InnerException : error);
            Assert.Equal(ErrorCode.Local_ValueDeserialization, consume.Error.Code);
            await Assert.ThrowsAnyAsync<Exception>(() => control.IsShutdown.WaitAsync(RebalanceTimeout));
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task Committer_must_fail_the_stream_when_the_consumer_of_an_offset_is_closed()
    {
        var topic = Kafka.CreateTopic("commit-closed", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("commit-closed");
        await ProduceToEveryPartition(topic, 1, perPartition: 1);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, probe) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
                .ToMaterialized(this.SinkProbe<CommittableMessage<string, string>>(), Keep.Both)
                .Run(Materializer);
            probe.Request(1);
            var message = await probe.ExpectNextAsync(RebalanceTimeout);
            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await probe.ExpectCompleteAsync();

            await Assert.ThrowsAsync<InvalidOperationException>(() => message.CommitableOffset.Commit());
            var committed = Source.Single<ICommittable>(message.CommitableOffset).RunWith(Committer.Sink(CommitterSettings()), Materializer);
            var failure = await Assert.ThrowsAnyAsync<Exception>(() => committed.WaitAsync(RebalanceTimeout));
            Assert.IsType<InvalidOperationException>(failure.GetBaseException());
        }, Materializer, RebalanceTimeout);

        Assert.True(CommittedOffsets(group, topic, 1)[0] < 0);
    }

    [Fact]
    public async Task Committer_must_commit_once_the_group_has_rebalanced_when_the_coordinator_refused_it_during_the_rebalance()
    {
        var topic = Kafka.CreateTopic("commit-rebalancing", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("commit-rebalancing");
        await ProduceToEveryPartition(topic, 1, perPartition: 2);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, probe) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
                .ToMaterialized(this.SinkProbe<CommittableMessage<string, string>>(), Keep.Both)
                .Run(Materializer);
            probe.Request(1);
            var first = await probe.ExpectNextAsync(RebalanceTimeout);

            // The coordinator answers the next commit as it does while the group rebalances.
            Kafka.Cluster.PushRequestErrors(KafkaApiKey.OffsetCommit, ErrorCode.RebalanceInProgress);
            await first.CommitableOffset.Commit().WaitAsync(RebalanceTimeout);
            Assert.Equal(1, CommittedOffsets(group, topic, 1)[0]);

            // The source was not failed by the refusal: it goes on with the next record.
            probe.Request(1);
            var second = await probe.ExpectNextAsync(RebalanceTimeout);
            Assert.Equal("0-1", second.Record.Message.Value);
            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await probe.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }
}
