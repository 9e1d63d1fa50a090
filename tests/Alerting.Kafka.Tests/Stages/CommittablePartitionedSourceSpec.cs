using System.Collections.Concurrent;
using Akka;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Kafka.Tests.Stages;

using Pair = (TopicPartition, Source<CommittableMessage<string, string>, NotUsed>);

/// <summary>KafkaConsumer.CommittablePartitionedSource over the embedded broker: substreams, commits, revocation.</summary>
public sealed class CommittablePartitionedSourceSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
    : KafkaStageSpec(kafka, output), IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 4;

    [Fact]
    public async Task CommittablePartitionedSource_must_emit_one_substream_per_partition_with_its_records_in_offset_order()
    {
        var topic = Kafka.CreateTopic("partitioned-substreams", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("partitioned-substreams");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 10);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, outer) = Start(group, topic);
            outer.Request(Partitions);
            var pairs = await ExpectPairs(outer, Partitions);
            Assert.Equal(Enumerable.Range(0, Partitions), pairs.Select(p => p.Item1.Partition.Value).Order());
            Assert.All(pairs, p => Assert.Equal(topic, p.Item1.Topic));

            var probes = pairs.Select(p => (Partition: p.Item1.Partition.Value, Probe: p.Item2.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer))).ToList();
            foreach (var (partition, probe) in probes)
            {
                probe.Request(10);
                var records = await probe.ExpectNextNAsync(10, RebalanceTimeout).ToListAsync();
                Assert.All(records, r => Assert.Equal(partition, r.Record.Partition.Value));
                Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), records.Select(r => r.Record.Offset.Value));
                Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{partition}-{i}"), records.Select(r => r.Record.Message.Value));
                Assert.Equal(group, records[0].CommitableOffset.Offset.Key.GroupId);
            }

            await control.Shutdown().WaitAsync(RebalanceTimeout);
            await outer.ExpectCompleteAsync();
            foreach (var (_, probe) in probes)
            {
                await probe.ExpectCompleteAsync();
            }
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task CommittablePartitionedSource_must_commit_the_offsets_of_records_forwarded_by_FlexiFlow_to_Committer_Sink()
    {
        var input = Kafka.CreateTopic("roundtrip-in", Partitions);
        var output = Kafka.CreateTopic("roundtrip-out", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("roundtrip");
        await ProduceToEveryPartition(input, Partitions, perPartition: 25);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var forwarded = 0;
            var (control, done) = KafkaConsumer.CommittablePartitionedSource(ConsumerSettings(group), Subscriptions.Topics(input))
                .MergeSubstreamsOf(Partitions)
                .Select(m => ProducerMessage.Single(
                    new ProducerRecord<string, string>(output, m.Record.Message.Key, "fwd:" + m.Record.Message.Value),
                    m.CommitableOffset))
                .Via(KafkaProducer.FlexiFlow<string, string, ICommittableOffset>(ProducerSettings()))
                .Select(result =>
                {
                    Interlocked.Increment(ref forwarded);
                    return (ICommittable)result.PassThrough;
                })
                .ToMaterialized(Committer.Sink(CommitterSettings().WithMaxInterval(TimeSpan.FromMilliseconds(100))), Keep.Both)
                .Run(Materializer);

            await AwaitConditionAsync(() => Task.FromResult(Volatile.Read(ref forwarded) == 100), RebalanceTimeout);
            await control.DrainAndShutdown(done.ContinueWith(t => { t.GetAwaiter().GetResult(); return Done.Instance; }, TaskScheduler.Default))
                .WaitAsync(RebalanceTimeout);
        }, Materializer, RebalanceTimeout);

        Assert.Equal(Enumerable.Repeat(25L, Partitions), CommittedOffsets(group, input, Partitions).OrderBy(e => e.Key).Select(e => e.Value));
        var written = await Kafka.ReadAsync(output, 100, RebalanceTimeout, TestContext.Token);
        Assert.Equal(
            Enumerable.Range(0, Partitions).SelectMany(p => Enumerable.Range(0, 25).Select(i => $"fwd:{p}-{i}")).Order(),
            written.Select(r => r.Message.Value).Order());
    }

    [Fact]
    public async Task CommittablePartitionedSource_must_complete_the_substream_of_a_revoked_partition()
    {
        var topic = Kafka.CreateTopic("revoke-complete", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("revoke-complete");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 20);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // The first member reads and commits everything.
            var (controlA, outerA) = Start(group, topic);
            outerA.Request(Partitions);
            var substreamsA = new Dictionary<int, Task>();
            var readA = new ConcurrentDictionary<int, int>();
            foreach (var (partition, source) in await ExpectPairs(outerA, Partitions))
            {
                substreamsA[partition.Partition.Value] = source
                    .Select(m =>
                    {
                        readA.AddOrUpdate(m.Record.Partition.Value, 1, (_, n) => n + 1);
                        return (ICommittable)m.CommitableOffset;
                    })
                    .RunWith(Committer.Sink(CommitterSettings().WithMaxInterval(TimeSpan.FromMilliseconds(100))), Materializer);
            }

            await AwaitConditionAsync(
                () => Task.FromResult(CommittedOffsets(group, topic, Partitions).Values.All(o => o == 20)), RebalanceTimeout);

            // A second member joins: cooperative-sticky moves half the partitions to it.
            var (controlB, outerB) = Start(group, topic);
            outerB.Request(Partitions);
            var pairsB = await ExpectPairs(outerB, Partitions / 2);
            var moved = pairsB.Select(p => p.Item1.Partition.Value).ToHashSet();

            foreach (var partition in moved)
            {
                await substreamsA[partition].WaitAsync(RebalanceTimeout);
            }

            Assert.All(substreamsA.Where(s => !moved.Contains(s.Key)), s => Assert.False(s.Value.IsCompleted));

            // The new owner starts at the old owner's committed offset: it sees only what is produced now.
            await ProduceToEveryPartition(topic, Partitions, perPartition: 3);
            foreach (var (partition, source) in pairsB)
            {
                var probe = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
                probe.Request(3);
                var records = await probe.ExpectNextNAsync(3, RebalanceTimeout).ToListAsync();
                Assert.Equal([20L, 21L, 22L], records.Select(r => r.Record.Offset.Value));
            }

            // The partitions kept by the first member go on.
            await AwaitConditionAsync(
                () => Task.FromResult(substreamsA.Keys.Where(p => !moved.Contains(p)).All(p => readA.GetValueOrDefault(p) == 23)),
                RebalanceTimeout);

            await Task.WhenAll(controlB.Shutdown(), controlA.Shutdown()).WaitAsync(RebalanceTimeout);
            await Task.WhenAll(substreamsA.Values).WaitAsync(RebalanceTimeout);
            await outerA.ExpectCompleteAsync();
            await outerB.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task CommittablePartitionedSource_must_drop_records_buffered_for_a_revoked_partition()
    {
        var topic = Kafka.CreateTopic("revoke-buffered", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("revoke-buffered");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 20);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // Each substream of the first member takes one record; the rest of what was fetched waits in its buffer.
            var (controlA, outerA) = Start(group, topic);
            outerA.Request(Partitions);
            var probesA = new Dictionary<int, TestSubscriber.Probe<CommittableMessage<string, string>>>();
            foreach (var (partition, source) in await ExpectPairs(outerA, Partitions))
            {
                var probe = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
                probe.Request(1);
                Assert.Equal(0, (await probe.ExpectNextAsync(RebalanceTimeout)).Record.Offset.Value);
                probesA[partition.Partition.Value] = probe;
            }

            var (controlB, outerB) = Start(group, topic);
            outerB.Request(Partitions);
            var pairsB = await ExpectPairs(outerB, Partitions / 2);

            // Revoked: the substream completes at once, without demand and without emitting what it buffered
            // (emitting it after the revocation would process records the new owner also processes).
            foreach (var (partition, _) in pairsB)
            {
                await probesA[partition.Partition.Value].ExpectCompleteAsync();
            }

            // Nothing was committed: the new owner reads the dropped records, so none is lost.
            foreach (var (partition, source) in pairsB)
            {
                var probe = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
                probe.Request(20);
                var records = await probe.ExpectNextNAsync(20, RebalanceTimeout).ToListAsync();
                Assert.Equal(Enumerable.Range(0, 20).Select(i => $"{partition.Partition.Value}-{i}"), records.Select(r => r.Record.Message.Value));
            }

            // A kept partition still delivers the rest in order.
            var kept = probesA.Keys.First(p => !pairsB.Any(b => b.Item1.Partition.Value == p));
            probesA[kept].Request(19);
            var rest = await probesA[kept].ExpectNextNAsync(19, RebalanceTimeout).ToListAsync();
            Assert.Equal(Enumerable.Range(1, 19).Select(i => (long)i), rest.Select(r => r.Record.Offset.Value));

            await Task.WhenAll(controlB.Shutdown(), controlA.Shutdown()).WaitAsync(RebalanceTimeout);
            await outerA.ExpectCompleteAsync();
            await outerB.ExpectCompleteAsync();
            foreach (var probe in probesA.Values)
            {
                probe.Cancel();
            }
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task CommittablePartitionedSource_must_hold_an_assigned_partition_nobody_pulls_and_read_it_from_its_first_record_when_pulled()
    {
        var topic = Kafka.CreateTopic("assign-paused", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("assign-paused");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 10);

        await this.AssertAllStagesStoppedAsync(async () =>
        {
            // Nobody runs the first member's substreams while partitions move away and come back: they are
            // assigned incrementally, and paused after the assignment is in place (pausing inside the
            // assignment handler, before librdkafka assigned them, is what fails in other clients).
            var (controlA, outerA) = Start(group, topic);
            outerA.Request(Partitions + Partitions / 2);
            var first = await ExpectPairs(outerA, Partitions);

            var (controlB, outerB) = Start(group, topic);
            outerB.Request(Partitions);
            var movedPairs = await ExpectPairs(outerB, Partitions / 2);
            var moved = movedPairs.Select(p => p.Item1.Partition.Value).ToHashSet();
            await controlB.Shutdown().WaitAsync(RebalanceTimeout);
            await outerB.ExpectCompleteAsync();

            var returned = await ExpectPairs(outerA, Partitions / 2);
            Assert.Equal(moved, returned.Select(p => p.Item1.Partition.Value).ToHashSet());

            // The substreams of the revoked assignment complete empty; the current ones read from offset 0.
            foreach (var (partition, source) in first.Where(p => moved.Contains(p.Item1.Partition.Value)))
            {
                var stale = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
                await stale.ExpectSubscriptionAndCompleteAsync();
            }

            foreach (var (partition, source) in first.Where(p => !moved.Contains(p.Item1.Partition.Value)).Concat(returned))
            {
                var probe = source.RunWith(this.SinkProbe<CommittableMessage<string, string>>(), Materializer);
                probe.Request(10);
                var records = await probe.ExpectNextNAsync(10, RebalanceTimeout).ToListAsync();
                Assert.Equal(Enumerable.Range(0, 10).Select(i => $"{partition.Partition.Value}-{i}"), records.Select(r => r.Record.Message.Value));
                probe.Cancel();
            }

            await controlA.Shutdown().WaitAsync(RebalanceTimeout);
            await outerA.ExpectCompleteAsync();
        }, Materializer, RebalanceTimeout);
    }

    [Fact]
    public async Task DrainAndShutdown_must_commit_what_was_processed_so_a_restart_neither_loses_nor_repeats_a_record()
    {
        var topic = Kafka.CreateTopic("drain", Partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("drain");
        await ProduceToEveryPartition(topic, Partitions, perPartition: 50);
        var all = Enumerable.Range(0, Partitions).SelectMany(p => Enumerable.Range(0, 50).Select(i => $"{p}-{i}")).ToHashSet();

        var first = await RunUntil(group, topic, seen => seen >= 60);
        var committed = CommittedOffsets(group, topic, Partitions);
        foreach (var partition in Enumerable.Range(0, Partitions))
        {
            var processed = first.Count(v => v.StartsWith($"{partition}-", StringComparison.Ordinal));
            Assert.Equal(processed, committed[partition] < 0 ? 0 : committed[partition]);
        }

        var second = await RunUntil(group, topic, seen => first.Count + seen >= all.Count);

        Assert.Empty(first.Intersect(second));
        Assert.Equal(first.Count, first.Distinct().Count());
        Assert.Equal(second.Count, second.Distinct().Count());
        Assert.Equal(all.Order(), first.Concat(second).Order());
    }

    private async Task<List<string>> RunUntil(string group, string topic, Func<int, bool> enough)
    {
        var processed = new ConcurrentQueue<string>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (control, done) = KafkaConsumer.CommittableSource(ConsumerSettings(group), Subscriptions.Topics(topic))
                .Select(m =>
                {
                    processed.Enqueue(m.Record.Message.Value);
                    return (ICommittable)m.CommitableOffset;
                })
                .ToMaterialized(Committer.Sink(CommitterSettings()), Keep.Both)
                .Run(Materializer);

            await AwaitConditionAsync(() => Task.FromResult(enough(processed.Count)), RebalanceTimeout);
            await control.DrainAndShutdown(done.ContinueWith(t => { t.GetAwaiter().GetResult(); return Done.Instance; }, TaskScheduler.Default))
                .WaitAsync(RebalanceTimeout);
        }, Materializer, RebalanceTimeout);
        return processed.ToList();
    }

    private (IControl Control, TestSubscriber.Probe<Pair> Outer) Start(string group, string topic) =>
        KafkaConsumer.CommittablePartitionedSource(ConsumerSettings(group), Subscriptions.Topics(topic))
            .ToMaterialized(this.SinkProbe<Pair>(), Keep.Both)
            .Run(Materializer);

    private static async Task<List<Pair>> ExpectPairs(TestSubscriber.Probe<Pair> outer, int count)
    {
        var pairs = new List<Pair>();
        for (var i = 0; i < count; i++)
        {
            pairs.Add(await outer.ExpectNextAsync(RebalanceTimeout));
        }

        return pairs;
    }
}

internal static class PartitionedSourceExtensions
{
    /// <summary>Runs every substream and merges them (Akka.Streams.Kafka's usual MergeSubstreams over a partitioned source).</summary>
    public static Source<T, IControl> MergeSubstreamsOf<T>(this Source<(TopicPartition, Source<T, NotUsed>), IControl> source, int breadth) =>
        source.Via(Flow.Create<(TopicPartition, Source<T, NotUsed>)>()
            .MergeMany<(TopicPartition, Source<T, NotUsed>), (TopicPartition, Source<T, NotUsed>), T, NotUsed>(breadth, pair => pair.Item2));
}
