using System.Collections.Concurrent;
using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests.Streaming;

/// <summary>Helpers shared by the streaming specs: source settings with test timings, committed offsets, collecting substreams.</summary>
internal static class StreamingTestClients
{
    public static KafkaConsumerSettings Settings(EmbeddedKafkaFixture kafka, string group, int buffer = 1000) =>
        new(KafkaTestClients.ConsumerConfig(kafka.BootstrapServers, group))
        {
            PartitionBufferSize = buffer,
            CommitInterval = TimeSpan.FromMilliseconds(100),
        };

    /// <summary>The group's committed offset of each partition, read by a consumer that does not join the group.</summary>
    public static Dictionary<int, long> Committed(EmbeddedKafkaFixture kafka, string group, string topic, int partitions)
    {
        using var consumer = kafka.CreateConsumer(group);
        var committed = consumer.Committed(
            Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(10));
        return committed.ToDictionary(c => c.Partition.Value, c => c.Offset.Value);
    }
}

/// <summary>Runs a partitioned source, opening every substream into a list of its records; records are not marked done unless asked.</summary>
internal sealed class PartitionCollector
{
    private readonly bool _markDone;

    public PartitionCollector(KafkaConsumerSource source, bool markDone)
    {
        _markDone = markDone;
        Handle = source.Partitioned.RunWith(Sink.ForEach<AssignedPartition>(Open));
    }

    public StreamHandle<Done> Handle { get; }

    public ConcurrentQueue<(AssignedPartition Partition, ConcurrentQueue<CommittableRecord> Records, Task Completion)> Partitions { get; } = new();

    public IEnumerable<CommittableRecord> AllRecords => Partitions.SelectMany(p => p.Records);

    public IEnumerable<AssignedPartition> Active => Partitions.Where(p => !p.Completion.IsCompleted).Select(p => p.Partition);

    private void Open(AssignedPartition partition)
    {
        var records = new ConcurrentQueue<CommittableRecord>();
        var run = partition.Records.RunWith(Sink.ForEach<CommittableRecord>(r =>
        {
            records.Enqueue(r);
            if (_markDone)
            {
                r.MarkDone();
            }
        }));
        Partitions.Enqueue((partition, records, run.Completion));
    }
}
