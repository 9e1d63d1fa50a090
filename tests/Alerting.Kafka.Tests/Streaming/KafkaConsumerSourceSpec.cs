using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Alerting.TestKit;
using Alerting.TestKit.Streams;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests.Streaming;

public sealed class KafkaConsumerSourceSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task A_partitioned_source_must_start_a_substream_per_assigned_partition_and_complete_it_on_revoke()
    {
        var ct = TestContext.Token;
        const int partitions = 4;
        var topic = kafka.CreateTopic("substreams", partitions);
        var group = EmbeddedKafkaFixture.NewGroupId("substreams");
        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(40, keys: 32), ct);

        var a = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group), [topic]);
        var b = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group), [topic]);
        var ca = new PartitionCollector(a, markDone: true);
        string State() => $"a: {string.Join(",", a.Assigned.Select(p => p.TopicPartition.Partition.Value))}; " +
                          $"b: {string.Join(",", b.Assigned.Select(p => p.TopicPartition.Partition.Value))}";

        await Eventually.True(() => ca.Partitions.Count == partitions && ca.AllRecords.Count() == 40, Settle,
            "the only member has a substream per partition and reads every record", ct, State);
        Assert.Equal(Enumerable.Range(0, partitions), ca.Partitions.Select(p => p.Partition.TopicPartition.Partition.Value).Order());

        var cb = new PartitionCollector(b, markDone: true);
        await Eventually.True(() => cb.Active.Count() == partitions / 2 && ca.Active.Count() == partitions / 2, Settle,
            "the second member takes half the partitions and the first member's substreams for them complete", ct, State);

        // Each partition is served by exactly one open substream; the first member's substream of every partition the
        // second member took has completed, and its tracker accepts nothing more. (Under load the group may move a
        // partition more than once, so the first member can have completed substreams of partitions it owns again.)
        static IEnumerable<int> Numbers(IEnumerable<AssignedPartition> ps) => ps.Select(p => p.TopicPartition.Partition.Value);
        Assert.Equal(Enumerable.Range(0, partitions), Numbers(ca.Active).Concat(Numbers(cb.Active)).Order());
        var completed = ca.Partitions.Where(p => p.Completion.IsCompleted).Select(p => p.Partition).ToList();
        Assert.Subset(Numbers(completed).ToHashSet(), Numbers(cb.Active).ToHashSet());
        Assert.All(completed, p => Assert.True(p.Tracker.IsRevoked));
        Assert.True(a.Counters.PartitionsRevoked + a.Counters.PartitionsLost >= partitions / 2);

        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(40, keys: 32, from: 40), ct);
        await Eventually.True(() => ca.AllRecords.Concat(cb.AllRecords).Select(r => (r.Partition, r.Offset)).Distinct().Count() == 80, Settle,
            "both members together read every record", ct, State);

        // When the second member leaves, the first takes its partitions back and commits everything it has read.
        // (The embedded broker can reject commits around a rebalance, and fence a member; the records are then read
        // again and counted as repeats, so the sum is reached either way, never passed.)
        await b.StopAsync(ct);
        await cb.Handle.Completion.WaitAsync(ct);
        int CommittedSum() => StreamingTestClients.Committed(kafka, group, topic, partitions).Values.Sum(v => Math.Max(0, (int)v));
        await Eventually.True(() => a.Assigned.Count == partitions && CommittedSum() == 80, Settle,
            "the remaining member owns every partition and commits every record", ct,
            () => $"{State()}; committed {CommittedSum()}; commit failures a {a.Counters.CommitFailures}, b {b.Counters.CommitFailures}; " +
                  $"repeats a {a.Counters.RepeatedRecords}");

        await a.StopAsync(ct);
        await ca.Handle.Completion.WaitAsync(ct);
        // Each substream runs to its own sink, whose completion may follow the outer stream's by a moment.
        await Task.WhenAll(ca.Partitions.Concat(cb.Partitions).Select(p => p.Completion)).WaitAsync(Settle, ct);
        await StreamAssert.AllStagesStoppedAsync(ca.Handle);
        await StreamAssert.AllStagesStoppedAsync(cb.Handle);
        Assert.Equal(80, CommittedSum());
    }

    [Fact]
    public async Task A_partitioned_source_must_pause_a_partition_whose_substream_is_slow_instead_of_buffering_without_bound()
    {
        var ct = TestContext.Token;
        const int buffer = 20;
        const int count = 600;
        var topic = kafka.CreateTopic("backpressure", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("backpressure");
        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(count), ct);

        var source = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group, buffer), [topic]);
        var partitions = new System.Collections.Concurrent.ConcurrentQueue<AssignedPartition>();
        var handle = source.Partitioned.RunWith(Sink.ForEach<AssignedPartition>(partitions.Enqueue));
        await Eventually.True(() => source.Counters.Pauses >= 1, Settle, "the unread partition is paused", ct,
            () => $"records {source.Counters.Records}, max buffered {source.Counters.MaxBuffered}");
        var partition = Assert.Single(partitions);
        Assert.True(partition.IsPaused);

        // Polling goes on while the partition is paused, and what is held stays bounded by the buffer.
        await Task.Delay(TimeSpan.FromMilliseconds(500), ct);
        Assert.True(source.Counters.Records <= buffer + 2, $"{source.Counters.Records} records taken for a buffer of {buffer}");
        Assert.True(source.Counters.MaxBuffered <= buffer + 2, $"{source.Counters.MaxBuffered} records held for a buffer of {buffer}");
        Assert.Equal(buffer, partition.Buffered);

        var read = new System.Collections.Concurrent.ConcurrentQueue<long>();
        var reading = partition.Records.RunWith(Sink.ForEach<CommittableRecord>(r =>
        {
            read.Enqueue(r.Offset);
            r.MarkDone();
        }));
        await Eventually.True(() => read.Count == count, Settle, "the substream reads every record", ct,
            () => $"{read.Count} read; records {source.Counters.Records}, pauses {source.Counters.Pauses}, resumes {source.Counters.Resumes}, " +
                  $"paused {partition.IsPaused}, buffered {partition.Buffered}, skipped {source.Counters.SkippedOffsets}, repeats {source.Counters.RepeatedRecords}");
        Assert.Equal(Enumerable.Range(0, count).Select(i => (long)i), read);
        Assert.True(source.Counters.Resumes >= 1);
        Assert.True(source.Counters.MaxBuffered <= buffer + 2, $"{source.Counters.MaxBuffered} records held for a buffer of {buffer}");
        Assert.Equal(0, source.Counters.SkippedOffsets);

        await source.StopAsync(ct);
        await handle.Completion.WaitAsync(ct);
        await reading.Completion.WaitAsync(ct);
        Assert.Equal(count, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);
    }

    [Fact]
    public async Task A_partitioned_source_must_never_commit_past_a_record_that_is_still_needed_and_commit_the_rest_when_drained()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("commits", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("commits");
        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(10), ct);

        var source = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group), [topic]);
        var collector = new PartitionCollector(source, markDone: false);
        await Eventually.True(() => collector.AllRecords.Count() == 10, Settle, "every record is emitted", ct);
        var records = collector.AllRecords.ToDictionary(r => r.Offset);
        var tracker = records[0].Tracker;
        Assert.Equal(0, tracker.Committable);

        foreach (var offset in new long[] { 5, 4, 0, 1, 2, 7 })
        {
            Assert.True(records[offset].MarkDone());
        }

        Assert.Equal(3, tracker.Committable);
        await Eventually.True(() => tracker.LastCommitted == 3, Settle, "the committer commits offset 3", ct, tracker.ToString);
        Assert.Equal(3, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);

        records[3].MarkDone();
        await Eventually.True(() => tracker.LastCommitted == 6, Settle, "the committer commits offset 6", ct, tracker.ToString);
        Assert.Equal(6, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);

        var drain = source.DrainAndStopAsync(TimeSpan.FromSeconds(30), ct);
        await Task.Delay(TimeSpan.FromMilliseconds(300), ct);
        Assert.False(drain.IsCompleted, "the drain waits for the records still in flight");
        foreach (var offset in new long[] { 9, 6, 8 })
        {
            records[offset].MarkDone();
        }

        await drain;
        await collector.Handle.Completion.WaitAsync(ct);
        Assert.Equal(10, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);
        Assert.Equal(0, source.Counters.RepeatedRecords);
    }

    [Fact]
    public async Task A_drained_source_must_commit_what_is_done_after_its_timeout_so_the_next_member_resumes_there()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("drain", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("drain");
        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(10), ct);

        var first = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group) with { CommitInterval = TimeSpan.FromHours(1) }, [topic]);
        var collector = new PartitionCollector(first, markDone: false);
        await Eventually.True(() => collector.AllRecords.Count() == 10, Settle, "every record is emitted", ct);
        foreach (var record in collector.AllRecords.Where(r => r.Offset is < 7 and not 2))
        {
            record.MarkDone();
        }

        Assert.Equal(OffsetTracker.NothingToCommit, collector.AllRecords.First().Tracker.LastCommitted);
        collector.AllRecords.Single(r => r.Offset == 2).MarkDone();
        await first.DrainAndStopAsync(TimeSpan.FromMilliseconds(300), ct);
        await collector.Handle.Completion.WaitAsync(ct);
        Assert.Equal(7, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);

        var second = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group), [topic]);
        var next = new PartitionCollector(second, markDone: true);
        await Eventually.True(() => next.AllRecords.Count() == 3, Settle, "the next member reads the records not done", ct);
        Assert.Equal([7L, 8L, 9L], next.AllRecords.Select(r => r.Offset));
        Assert.Equal(7, next.Partitions.Single().Partition.Tracker.CommittedAtAssignment);
        await second.StopAsync(ct);
        Assert.Equal(10, StreamingTestClients.Committed(kafka, group, topic, 1)[0]);
    }

    [Fact]
    public async Task A_partitioned_source_must_count_offsets_skipped_by_an_offset_reset_as_data_loss()
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("retention", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("retention");
        await kafka.ProduceAsync(topic, KafkaTestClients.Numbered(10), ct);
        using (var committer = kafka.CreateConsumer(group))
        {
            committer.Commit([new TopicPartitionOffset(topic, 0, 1)]);
        }

        // Push the log start past the committed offset: the embedded broker keeps about 5 MiB per partition.
        var random = new Random(7);
        var big = Enumerable.Range(0, 800).Select(i =>
        {
            var bytes = new byte[6_000];
            random.NextBytes(bytes);
            return new Message<string, string> { Key = "k", Value = Convert.ToBase64String(bytes) };
        });
        await kafka.ProduceAsync(topic, big, ct);

        var source = new KafkaConsumerSource(StreamingTestClients.Settings(kafka, group), [topic]);
        var collector = new PartitionCollector(source, markDone: true);
        await Eventually.True(() => collector.AllRecords.Any(), Settle, "records arrive", ct);
        var first = collector.AllRecords.First().Offset;
        await source.StopAsync(ct);

        Assert.True(first > 1, $"the log still starts at {first}");
        Assert.Equal(1, collector.Partitions.Single().Partition.Tracker.CommittedAtAssignment);
        Assert.Equal(1, source.Counters.OffsetGaps);
        Assert.Equal(first - 1, source.Counters.SkippedOffsets);
        Assert.Equal(1, source.Counters.OffsetResets);
    }
}
