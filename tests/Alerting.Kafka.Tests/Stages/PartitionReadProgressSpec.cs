using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka;
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

using Pair = (TopicPartition, Source<CommittableMessage<string, string>, NotUsed>);

/// <summary>
/// What tells an idle partition from a stuck one, over the embedded broker: the partitioned source's read listener
/// (records emitted, partition ends reached) and the ListOffsets log-end probe.
/// </summary>
public sealed class PartitionReadProgressSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 2;

    [Fact]
    public async Task A_partitioned_source_must_tell_its_listener_each_record_before_emitting_it_and_each_partition_end_once_all_before_it_were_emitted()
    {
        var topic = Kafka.CreateTopic("read-listener", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("read-listener");
        var records = Enumerable.Range(0, 5).Select(i => new ProducerRecord<string, string>(topic, 0, new Message<string, string> { Key = "k", Value = $"0-{i}" }));
        await KafkaProducer.PlainSink(ProducerSettings()).Runs(Source.From(records), Materializer);
        var listener = new RecordingListener();
        using var cts = new CancellationTokenSource(RebalanceTimeout);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, outer) = KafkaConsumer
                .CommittablePartitionedManualOffsetSource(
                    ConsumerSettings(group),
                    Subscriptions.Topics(topic),
                    _ => Task.FromResult<IImmutableSet<TopicPartitionOffset>>(ImmutableHashSet<TopicPartitionOffset>.Empty),
                    readListener: listener)
                .ToMaterialized(this.SinkProbe<Pair>(), Keep.Both)
                .Run(Materializer);
            outer.Request(Partitions);
            var subs = new Dictionary<int, TestSubscriber.Probe<CommittableMessage<string, string>>>();
            for (var i = 0; i < Partitions; i++)
            {
                var (tp, source) = await outer.ExpectNextAsync(RebalanceTimeout);
                subs[tp.Partition.Value] = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
            }

            // partition 1 has nothing since it was assigned: its end is told at once, nothing emitted
            subs[1].Request(1);
            await Eventually.True(() => listener.Ends.Contains((1, 0L)), RebalanceTimeout, "the end of the empty partition", cts.Token, listener.Describe);

            // partition 0: two records taken, so its end is not told yet; every record is told before it is emitted
            subs[0].Request(2);
            var first = await subs[0].ExpectNextNAsync(2, RebalanceTimeout).ToListAsync();
            Assert.All(first, r => Assert.Contains((0, r.Record.Offset.Value), listener.Emitted));
            await Task.Delay(500, cts.Token);
            Assert.DoesNotContain(listener.Ends, e => e.Partition == 0);

            subs[0].Request(10);
            await subs[0].ExpectNextNAsync(3, RebalanceTimeout).ToListAsync();
            await Eventually.True(() => listener.Ends.Contains((0, 5L)), RebalanceTimeout, "the end of partition 0 after its 5 records", cts.Token, listener.Describe);
            Assert.Equal([0L, 1, 2, 3, 4], listener.Emitted.Where(e => e.Partition == 0).Select(e => e.Offset));
            Assert.DoesNotContain(listener.Emitted, e => e.Partition == 1);

            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await outer.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task A_log_end_probe_must_answer_each_partitions_high_watermark_and_count_a_refused_question_as_failed()
    {
        var topic = Kafka.CreateTopic("log-ends", Partitions);
        var records = Enumerable.Range(0, 3).Select(i => new ProducerRecord<string, string>(topic, 1, new Message<string, string> { Key = "k", Value = $"1-{i}" }));
        await KafkaProducer.PlainSink(ProducerSettings()).Runs(Source.From(records), Materializer);
        var failed = 0;
        using var probe = new KafkaLogEndProbe(
            new AdminClientConfig { BootstrapServers = Kafka.BootstrapServers, ClientId = "log-end-spec" },
            TimeSpan.FromSeconds(5),
            onFailed: () => Interlocked.Increment(ref failed));
        var partitions = new[] { new TopicPartition(topic, 0), new TopicPartition(topic, 1) };

        var ends = await probe.LogEndsAsync(partitions, CancellationToken.None);
        Assert.Equal((0L, 3L), (ends[partitions[0]], ends[partitions[1]]));

        // The next ListOffsets request is refused (the partitions' leaders are different brokers, each asked on its
        // own): a refused partition gets no answer, and the failure is counted.
        try
        {
            Kafka.Cluster.PushRequestErrors(KafkaApiKey.ListOffsets, ErrorCode.TopicAuthorizationFailed);
            var refused = await Record.ExceptionAsync(async () =>
            {
                var answer = await probe.LogEndsAsync(partitions, CancellationToken.None);
                Assert.True(answer.Count < partitions.Length, $"answered {answer.Count}");
            });
            Assert.True(refused is null or KafkaException or TimeoutException, refused?.ToString());
        }
        finally
        {
            Kafka.Cluster.ClearRequestErrors(KafkaApiKey.ListOffsets);
        }

        Assert.Equal(1, probe.Failures);
        Assert.Equal(1, Volatile.Read(ref failed));
        Assert.Equal(3L, (await probe.LogEndsAsync(partitions, CancellationToken.None))[partitions[1]]);
    }

    private sealed class RecordingListener : IPartitionReadListener
    {
        private readonly ConcurrentQueue<(int Partition, long Offset)> _emitted = new();
        private readonly ConcurrentQueue<(int Partition, long Offset)> _ends = new();

        public IReadOnlyList<(int Partition, long Offset)> Emitted => [.. _emitted];

        public IReadOnlyList<(int Partition, long Offset)> Ends => [.. _ends];

        public void Emitting(TopicPartition partition, long offset) => _emitted.Enqueue((partition.Partition.Value, offset));

        public void ReachedEnd(TopicPartition partition, long offset) => _ends.Enqueue((partition.Partition.Value, offset));

        public string Describe() => $"emitted [{string.Join(", ", Emitted)}], ends [{string.Join(", ", Ends)}]";
    }
}
