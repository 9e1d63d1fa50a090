using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using Alerting.Kafka;
using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Events.Tests.Ingestion;

public sealed class IngestionPipelineSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 2;
    private const int GoodPerPartition = 10;
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(20);
    private static readonly long Base = DateTimeOffset.UtcNow.AddHours(-1).ToUnixTimeMilliseconds();

    private static string Json(int device, long ms, string id, bool withDevice = true, bool withTime = true)
    {
        var time = (Base + ms).ToString(CultureInfo.InvariantCulture);
        var dev = withDevice ? $"\"DeviceNumber\":{device}," : "";
        var ts = withTime ? $"\"Timestamp\":{time}," : "";
        return $"{{{dev}\"Message\":\"Fault\",\"Param\":{{{ts}\"ID\":\"{id}\",\"ErrCode\":101}}}}";
    }

    private static async Task<List<TopicPartitionOffset>> ProduceToAsync(
        IProducer<string, string> producer, string topic, int partition, IEnumerable<string> values, CancellationToken ct)
    {
        var written = new List<TopicPartitionOffset>();
        foreach (var value in values)
        {
            var result = await producer.ProduceAsync(new TopicPartition(topic, partition), new Message<string, string> { Key = "k", Value = value }, ct);
            written.Add(result.TopicPartitionOffset);
        }

        return written;
    }

    private static async Task Until(Func<bool> condition, string what, CancellationToken ct, Func<string>? state = null)
    {
        var deadline = DateTime.UtcNow + Settle;
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Not within {Settle}: {what}. {state?.Invoke()}");
            }

            await Task.Delay(50, ct);
        }
    }

    private static string Header(ConsumeResult<string, string> record, string name) =>
        Encoding.UTF8.GetString(record.Message.Headers.GetLastBytes(name));

    [Fact]
    public async Task An_ingestion_pipeline_must_route_good_late_and_bad_records_of_several_topics_and_commit_only_what_is_done()
    {
        var ct = new CancellationTokenSource(TimeSpan.FromSeconds(90)).Token;
        var topicA = kafka.CreateTopic("line-a", Partitions);
        var topicB = kafka.CreateTopic("line-b", Partitions);
        var deadLetters = kafka.CreateTopic("dead-letters", 1);
        var late = kafka.CreateTopic("late", 1);
        var group = EmbeddedKafkaFixture.NewGroupId("ingestion");
        var lineA = new SourceDefinition
        {
            Name = "line-a",
            Topic = topicA,
            MaxOutOfOrderness = TimeSpan.FromSeconds(5),
            AllowedLateness = TimeSpan.FromSeconds(2),
            IdleTimeout = TimeSpan.Zero,
        };
        var lineB = lineA with { Name = "line-b", Topic = topicB };
        var sources = new[] { lineA, lineB };

        var consumerSettings = new KafkaConsumerSettings(KafkaTestClients.ConsumerConfig(kafka.BootstrapServers, group))
        {
            CommitInterval = TimeSpan.FromMilliseconds(100),
        };
        var consumer = IngestionPipeline.ConsumerFor(sources, consumerSettings);
        using var sideProducer = KafkaClients.ProducerBuilder<byte[]?, byte[]?>(KafkaClients.ProducerConfig(kafka.BootstrapServers)).Build();
        var pipeline = new IngestionPipeline(sources, consumer, sideProducer, new IngestionSettings(deadLetters, late));

        // The downstream consumer of the event-time stream acknowledges every event except one it still needs.
        var events = new ConcurrentQueue<DeviceEvent>();
        var watermarks = new ConcurrentQueue<long>();
        DeviceEvent? held = null;
        var run = pipeline.Timed.RunWith(Sink.ForEach<Timed>(t =>
        {
            if (t.Event is not { } ev)
            {
                watermarks.Enqueue(t.Watermark);
                return;
            }

            events.Enqueue(ev);
            if (ev.EventId == "line-a-0-good-3")
            {
                held = ev;
            }
            else
            {
                Assert.True(pipeline.Ack(ev));
            }
        }));

        // Phase 1: on-time events in every partition (5.0 s .. 8.6 s), so the watermark ends at 8.6 s - 5 s. No event of
        // this phase is behind the watermark, whichever partition is read first.
        using var producer = kafka.CreateProducer();
        var produced = new List<TopicPartitionOffset>();
        foreach (var topic in new[] { topicA, topicB })
        {
            var line = topic == topicA ? "line-a" : "line-b";
            for (var p = 0; p < Partitions; p++)
            {
                var good = Enumerable.Range(0, GoodPerPartition).Select(i => Json(10 + p, 5_000 + (i * 400), $"{line}-{p}-good-{i}"));
                produced.AddRange(await ProduceToAsync(producer, topic, p, good, ct));
            }
        }

        await Until(() => events.Count == 2 * Partitions * GoodPerPartition && watermarks.Max() - Base == 3_600,
            "every on-time event reaches the stream and the watermark is 3.6 s", ct,
            () => $"{events.Count} events");

        // Phase 2: per partition, one event far behind the watermark (too late), one within the allowed lateness, and bad records.
        var bad = new Dictionary<(string, int), (string Value, string Reason)[]>
        {
            [(topicA, 0)] = [("Fault 101 on device 3", "not_json")],
            [(topicA, 1)] = [(Json(3, 5_000, "x", withDevice: false), "missing_device_id"), ("", "empty")],
            [(topicB, 0)] = [(Json(3, 5_000, "y", withTime: false), "missing_timestamp")],
            [(topicB, 1)] = [("{\"DeviceNumber\":3,", "truncated")],
        };
        var badOrigins = new Dictionary<(string, int, long), string>();
        var tooLateOrigins = new HashSet<(string, int, long)>();
        foreach (var topic in new[] { topicA, topicB })
        {
            var line = topic == topicA ? "line-a" : "line-b";
            for (var p = 0; p < Partitions; p++)
            {
                var tooLate = await ProduceToAsync(producer, topic, p, [Json(20, -100_000, $"{line}-{p}-too-late")], ct);
                tooLateOrigins.Add((topic, p, tooLate[0].Offset.Value));
                var within = await ProduceToAsync(producer, topic, p, [Json(20, 3_000, $"{line}-{p}-late")], ct);
                var rejected = await ProduceToAsync(producer, topic, p, bad[(topic, p)].Select(b => b.Value), ct);
                for (var i = 0; i < rejected.Count; i++)
                {
                    badOrigins[(topic, p, rejected[i].Offset.Value)] = bad[(topic, p)][i].Reason;
                }

                produced.AddRange(tooLate.Concat(within).Concat(rejected));
            }
        }

        var deadLetterRecords = await kafka.ReadAsync(deadLetters, badOrigins.Count, Settle, ct);
        var lateRecords = await kafka.ReadAsync(late, tooLateOrigins.Count, Settle, ct);
        await Until(() => events.Count == (2 * Partitions * GoodPerPartition) + 4, "the late events reach the stream, flagged", ct);

        // Bad records: on the dead-letter topic, with their reason and origin.
        Assert.Equal(
            badOrigins.OrderBy(b => b.Key),
            deadLetterRecords
                .Select(r => new KeyValuePair<(string, int, long), string>(
                    (Header(r, DeadLetterHeaders.SourceTopic),
                     int.Parse(Header(r, DeadLetterHeaders.SourcePartition), CultureInfo.InvariantCulture),
                     long.Parse(Header(r, DeadLetterHeaders.SourceOffset), CultureInfo.InvariantCulture)),
                    Header(r, DeadLetterHeaders.Reason)))
                .OrderBy(b => b.Key));
        Assert.Equal(1, pipeline.Counters.Decode[DecodeError.NotJson]);
        Assert.Equal(1, pipeline.Counters.Decode[DecodeError.MissingDeviceId]);
        Assert.Equal(1, pipeline.Counters.Decode[DecodeError.Empty]);
        Assert.Equal(1, pipeline.Counters.Decode[DecodeError.MissingTimestamp]);
        Assert.Equal(1, pipeline.Counters.Decode[DecodeError.Truncated]);

        // Too-late events: on the late topic, with their origin; late-within-lateness events: in the stream, flagged.
        Assert.Equal(
            tooLateOrigins.Order(),
            lateRecords.Select(r => (Header(r, DeadLetterHeaders.SourceTopic),
                    int.Parse(Header(r, DeadLetterHeaders.SourcePartition), CultureInfo.InvariantCulture),
                    long.Parse(Header(r, DeadLetterHeaders.SourceOffset), CultureInfo.InvariantCulture)))
                .Order());
        Assert.All(lateRecords, r => Assert.Equal(DeadLetterHeaders.TooLateReason, Header(r, DeadLetterHeaders.Reason)));
        var flagged = events.Where(e => e.IsLate).Select(e => e.EventId).Order().ToList();
        Assert.Equal(
            new[] { "line-a-0-late", "line-a-1-late", "line-b-0-late", "line-b-1-late" },
            flagged);
        Assert.DoesNotContain(events, e => e.EventId.EndsWith("too-late", StringComparison.Ordinal));

        // Every produced record ended in exactly one place: the stream, the dead-letter topic or the late topic.
        var ended = events.Select(e => (e.Topic, e.Partition, e.Offset))
            .Concat(badOrigins.Keys)
            .Concat(tooLateOrigins)
            .ToList();
        Assert.Equal(ended.Count, ended.Distinct().Count());
        Assert.Equal(produced.Select(p => (p.Topic, p.Partition.Value, p.Offset.Value)).Order(), ended.Order());

        // The record still needed holds back its partition's commit; every other partition is committed to its end.
        var ends = produced.GroupBy(p => (p.Topic, p.Partition.Value)).ToDictionary(g => g.Key, g => g.Max(p => p.Offset.Value) + 1);
        Dictionary<(string, int), long> Committed()
        {
            using var reader = kafka.CreateConsumer(group);
            return reader.Committed(ends.Keys.Select(k => new TopicPartition(k.Item1, k.Item2)), TimeSpan.FromSeconds(10))
                .ToDictionary(c => (c.Topic, c.Partition.Value), c => c.Offset.Value);
        }

        await Until(() => pipeline.Counters.DeadLettered == badOrigins.Count && pipeline.Counters.TooLate == tooLateOrigins.Count,
            "the side records are acknowledged", ct);
        var expected = ends.ToDictionary(e => e.Key, e => e.Key == (topicA, 0) ? held!.Offset : e.Value);
        await Until(() => consumer.Assigned.All(p => p.Tracker.LastCommitted == expected[(p.TopicPartition.Topic, p.TopicPartition.Partition.Value)]),
            "the committer catches up", ct);
        Assert.Equal(expected.OrderBy(e => e.Key), Committed().OrderBy(e => e.Key));
        Assert.Equal(3, held!.Offset);

        // Once the held event is acknowledged, a drain commits everything.
        Assert.True(pipeline.Ack(held));
        await pipeline.DrainAndStopAsync(TimeSpan.FromSeconds(10), ct);
        await run.Completion.WaitAsync(ct);
        Assert.Equal(ends.OrderBy(e => e.Key), Committed().OrderBy(e => e.Key));
        Assert.Equal(0, pipeline.Unacknowledged);
        Assert.Equal(0, pipeline.ConsumerCounters.SkippedOffsets);
        Assert.Equal(0, pipeline.ConsumerCounters.RepeatedRecords);
    }
}
