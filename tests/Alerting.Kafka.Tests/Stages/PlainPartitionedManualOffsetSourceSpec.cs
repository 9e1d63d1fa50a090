using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Kafka.Tests.Stages;

using Pair = (TopicPartition, Source<ConsumeResult<string, string>, NotUsed>);

/// <summary>KafkaConsumer.PlainPartitionedManualOffsetSource and the plain sources over the embedded broker.</summary>
public sealed class PlainPartitionedManualOffsetSourceSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 4;

    [Fact]
    public async Task PlainPartitionedManualOffsetSource_must_start_each_partition_at_the_offset_getOffsetsOnAssign_gives_and_call_onRevoke()
    {
        var topic = Kafka.CreateTopic("manual-offsets", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("manual-offsets");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 10);
        var asked = new ConcurrentQueue<TopicPartition>();
        var revoked = new ConcurrentQueue<TopicPartition>();

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // Partition p starts at offset 2 + p; the answer comes asynchronously, as from a store.
            async Task<IImmutableSet<TopicPartitionOffset>> GetOffsets(IImmutableSet<TopicPartition> partitions)
            {
                await Task.Yield();
                foreach (var partition in partitions)
                {
                    asked.Enqueue(partition);
                }

                return partitions.Select(p => new TopicPartitionOffset(p, 2 + p.Partition.Value)).ToImmutableHashSet();
            }

            var (control, outer) = KafkaConsumer
                .PlainPartitionedManualOffsetSource(ConsumerSettings(group), Subscriptions.Topics(topic), GetOffsets, partitions =>
                {
                    foreach (var partition in partitions)
                    {
                        revoked.Enqueue(partition);
                    }
                })
                .ToMaterialized(this.SinkProbe<Pair>(), Keep.Both)
                .Run(Materializer);

            outer.Request(Partitions);
            for (var i = 0; i < Partitions; i++)
            {
                var (partition, source) = await outer.ExpectNextAsync(RebalanceTimeout);
                var start = 2 + partition.Partition.Value;
                var probe = source.RunWith(this.SinkProbe<ConsumeResult<string, string>>(), Materializer);
                probe.Request(10 - start);
                var records = await probe.ExpectNextNAsync(10 - start, RebalanceTimeout).ToListAsync();
                Assert.Equal(Enumerable.Range(start, 10 - start).Select(o => (long)o), records.Select(r => r.Offset.Value));
                probe.Cancel();
            }

            Assert.Equal(Enumerable.Range(0, Partitions), asked.Select(p => p.Partition.Value).Order());
            Assert.Empty(revoked);

            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await outer.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);

        // Leaving the group revokes every partition: onRevoke heard of each.
        Assert.Equal(Enumerable.Range(0, Partitions), revoked.Select(p => p.Partition.Value).Order());
    }

    [Fact]
    public async Task PlainPartitionedManualOffsetSource_must_fail_when_getOffsetsOnAssign_fails()
    {
        var topic = Kafka.CreateTopic("manual-offsets-fail", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("manual-offsets-fail");

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, outer) = KafkaConsumer
                .PlainPartitionedManualOffsetSource(
                    ConsumerSettings(group),
                    Subscriptions.Topics(topic),
                    _ => Task.FromException<IImmutableSet<TopicPartitionOffset>>(new InvalidOperationException("offset store unreachable")))
                .ToMaterialized(this.SinkProbe<Pair>(), Keep.Both)
                .Run(Materializer);

            outer.Request(1);
            var error = await outer.ExpectErrorAsync();
            Assert.Contains("offset store unreachable", error.ToString(), StringComparison.Ordinal);
            var closed = await Assert.ThrowsAnyAsync<Exception>(() => control.IsShutdown.WaitAsync(RebalanceTimeout));
            Assert.Contains("offset store unreachable", closed.ToString(), StringComparison.Ordinal);
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task PlainSource_must_read_partitions_assigned_by_hand_from_the_given_offsets()
    {
        var topic = Kafka.CreateTopic("plain-assignment", 2);
        await ProduceToEveryPartition(topic, 2, perPartition: 5);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, probe) = KafkaConsumer
                .PlainSource(
                    ConsumerSettings(EmbeddedKafkaFixture.NewGroupId("plain-assignment")),
                    Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, 1, 3)))
                .ToMaterialized(this.SinkProbe<ConsumeResult<string, string>>(), Keep.Both)
                .Run(Materializer);

            probe.Request(2);
            var records = await probe.ExpectNextNAsync(2, RebalanceTimeout).ToListAsync();
            Assert.Equal(["1-3", "1-4"], records.Select(r => r.Message.Value));

            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await probe.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task PlainChunkSource_must_emit_each_partition_in_chunks_of_its_own_records_in_offset_order()
    {
        var topic = Kafka.CreateTopic("plain-chunks", 2);
        await ProduceToEveryPartition(topic, 2, perPartition: 50);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, probe) = KafkaConsumer
                .PlainChunkSource(
                    ConsumerSettings(EmbeddedKafkaFixture.NewGroupId("plain-chunks")).WithBufferSize(16),
                    Subscriptions.AssignmentWithOffset(new TopicPartitionOffset(topic, 0, 0), new TopicPartitionOffset(topic, 1, 10)))
                .ToMaterialized(this.SinkProbe<IReadOnlyList<ConsumeResult<string, string>>>(), Keep.Both)
                .Run(Materializer);

            var chunks = new List<IReadOnlyList<ConsumeResult<string, string>>>();
            while (chunks.Sum(c => c.Count) < 90)
            {
                probe.Request(1);
                chunks.Add(await probe.ExpectNextAsync(RebalanceTimeout));
            }

            Assert.All(chunks, chunk => Assert.NotEmpty(chunk));
            Assert.All(chunks, chunk => Assert.Single(chunk.Select(r => r.Partition.Value).Distinct()));
            Assert.True(chunks.Count < 90, $"{chunks.Count} chunks for 90 records: not chunked");
            foreach (var partition in new[] { 0, 1 })
            {
                var values = chunks.SelectMany(c => c).Where(r => r.Partition.Value == partition).Select(r => r.Message.Value);
                Assert.Equal(Enumerable.Range(partition == 0 ? 0 : 10, partition == 0 ? 50 : 40).Select(i => $"{partition}-{i}"), values);
            }

            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await probe.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }
}
