using Akka.Configuration;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;
using Config = Akka.Configuration.Config;

namespace Alerting.Kafka.Tests.Stages;

/// <summary>
/// Base of the Kafka stage specs: an ActorSystem with a materializer, settings pointing at the shared embedded
/// broker with consumer-group timings that settle in seconds there, and helpers to produce and read back.
/// </summary>
public abstract class KafkaStageSpec : Akka.TestKit.Xunit2.TestKit
{
    /// <summary>Generous bound for anything that waits on a rebalance (each takes ~session timeout on the mock).</summary>
    protected static readonly TimeSpan RebalanceTimeout = TimeSpan.FromSeconds(90);

    private static readonly Config SpecConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = INFO
        akka.test.single-expect-default = 30s
        akka.kafka.committer.max-interval = 200ms
        """);

    protected KafkaStageSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
        : base(SpecConfig, output: output)
    {
        Kafka = kafka;
        Materializer = Sys.Materializer();
    }

    protected EmbeddedKafkaFixture Kafka { get; }

    protected IMaterializer Materializer { get; }

    protected ConsumerSettings<string, string> ConsumerSettings(string groupId) =>
        ConsumerSettings<string, string>.Create(Sys, null, null)
            .WithBootstrapServers(Kafka.BootstrapServers)
            .WithGroupId(groupId)
            .WithProperty("auto.offset.reset", "earliest")
            .WithProperty("session.timeout.ms", "6000")
            .WithProperty("heartbeat.interval.ms", "1000");

    protected ProducerSettings<string, string> ProducerSettings() =>
        ProducerSettings<string, string>.Create(Sys, null, null)
            .WithBootstrapServers(Kafka.BootstrapServers);

    protected CommitterSettings CommitterSettings() => Settings.CommitterSettings.Create(Sys);

    /// <summary>Writes <paramref name="perPartition"/> records to every partition of <paramref name="topic"/>, values "p-i".</summary>
    protected async Task ProduceToEveryPartition(string topic, int partitions, int perPartition)
    {
        var records = Enumerable.Range(0, perPartition)
            .SelectMany(i => Enumerable.Range(0, partitions).Select(p =>
                new ProducerRecord<string, string>(topic, p, new Message<string, string> { Key = $"k{p}", Value = $"{p}-{i}" })));
        await KafkaProducer.PlainSink(ProducerSettings()).Runs(Source.From(records), Materializer);
    }

    /// <summary>The group's committed offsets of <paramref name="topic"/>'s partitions (-1001 where none).</summary>
    protected Dictionary<int, long> CommittedOffsets(string groupId, string topic, int partitions)
    {
        using var consumer = Kafka.CreateConsumer(groupId);
        return consumer.Committed(Enumerable.Range(0, partitions).Select(p => new TopicPartition(topic, p)), TimeSpan.FromSeconds(30))
            .ToDictionary(o => o.Partition.Value, o => o.Offset.Value);
    }
}

internal static class SinkExtensions
{
    /// <summary>Runs <paramref name="source"/> into the sink and waits for the sink's task.</summary>
    public static Task Runs<T>(this Sink<T, Task> sink, Source<T, Akka.NotUsed> source, IMaterializer materializer) =>
        source.RunWith(sink, materializer);
}
