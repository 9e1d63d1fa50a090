using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class KafkaClientsSpec
{
    [Fact]
    public async Task Loading_the_native_library_must_be_idempotent_from_many_threads_and_give_the_redists_static_librdkafka_2_16()
    {
        await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(KafkaNative.EnsureLoaded)));
        KafkaNative.EnsureLoaded();

        // The statically linked build from the redist package, copied to this test's output by the build.
        var expected = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", KafkaNative.StaticLinuxBuild);
        Assert.Equal(expected, KafkaNative.LoadedFrom);
        Assert.True(Library.Version >= 0x021000ff, $"librdkafka {Library.VersionString}");
        Assert.Equal(Library.VersionString, KafkaNative.Version);
        using var producer = KafkaClients.ProducerBuilder<Null, string>(KafkaClients.ProducerConfig("127.0.0.1:1")).Build();
        Assert.True(Library.IsLoaded);
    }

    [Fact]
    public void A_client_built_directly_must_use_the_static_librdkafka_and_no_other_must_be_mapped()
    {
        // Built without KafkaClients: the resolver registered when this assembly loaded answers Confluent.Kafka.
        using (var producer = new ProducerBuilder<Null, string>(new ProducerConfig { BootstrapServers = "127.0.0.1:1" })
            .SetLogHandler((_, _) => { })
            .Build())
        {
            Assert.False(string.IsNullOrEmpty(producer.Name));
        }

        // Debian's librdkafka (2.0.2), where installed, must not have been loaded by anything in this process.
        var mapped = File.ReadLines("/proc/self/maps")
            .Select(line => line.Split(' ', StringSplitOptions.RemoveEmptyEntries))
            .Where(fields => fields.Length >= 6 && fields[5].Contains("rdkafka", StringComparison.Ordinal))
            .Select(fields => fields[5])
            .Distinct()
            .ToList();
        Assert.Equal([KafkaNative.LoadedFrom!], mapped);
    }

    [Fact]
    public void A_producer_config_must_be_idempotent_compressed_and_allow_a_deep_queue()
    {
        var config = KafkaClients.ProducerConfig("127.0.0.1:9092");

        Assert.Equal("127.0.0.1:9092", config.BootstrapServers);
        Assert.True(config.EnableIdempotence);
        Assert.Equal(Acks.All, config.Acks);
        Assert.Equal(CompressionType.Lz4, config.CompressionType);
        Assert.True(config.QueueBufferingMaxMessages > 100_000);
    }

    [Fact]
    public void A_consumer_config_must_use_cooperative_sticky_assignment_and_commit_nothing_on_its_own()
    {
        var defaults = KafkaClients.ConsumerConfig("127.0.0.1:9092", "g");
        var tuned = KafkaClients.ConsumerConfig("127.0.0.1:9092", "g", TimeSpan.FromSeconds(6), TimeSpan.FromSeconds(1));

        Assert.Equal(PartitionAssignmentStrategy.CooperativeSticky, defaults.PartitionAssignmentStrategy);
        Assert.False(defaults.EnableAutoCommit);
        Assert.False(defaults.EnableAutoOffsetStore);
        Assert.Equal(AutoOffsetReset.Earliest, defaults.AutoOffsetReset);
        Assert.Equal(45_000, defaults.SessionTimeoutMs);
        Assert.Equal(3_000, defaults.HeartbeatIntervalMs);
        Assert.Equal(6_000, tuned.SessionTimeoutMs);
        Assert.Equal(1_000, tuned.HeartbeatIntervalMs);
    }

    [Fact]
    public void A_consumer_config_must_refuse_a_heartbeat_no_shorter_than_the_session()
    {
        Assert.Throws<ArgumentException>(() =>
            KafkaClients.ConsumerConfig("127.0.0.1:9092", "g", TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(3)));
    }
}
