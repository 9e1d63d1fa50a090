using Akka.Actor;
using Akka.Configuration;
using Alerting.Kafka.Settings;
using Confluent.Kafka;
using Config = Akka.Configuration.Config;

namespace Alerting.Kafka.Tests.Stages;

/// <summary>The settings types read the akka.kafka sections, fall back to the library's defaults and copy with With*.</summary>
public sealed class ConfigSettingsSpec
{
    [Fact]
    public void ConsumerSettings_must_take_Akka_Streams_Kafka_defaults_when_the_system_sets_nothing()
    {
        using var system = ActorSystem.Create("defaults", ConfigurationFactory.Empty);
        var settings = ConsumerSettings<string, string>.Create(system, null, null);

        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.PollInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.PollTimeout);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.StopTimeout);
        Assert.Equal(TimeSpan.FromSeconds(20), settings.CloseTimeout);
        Assert.Equal(TimeSpan.FromSeconds(15), settings.CommitTimeout);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.CommitTimeWarning);
        Assert.Equal(TimeSpan.FromMilliseconds(500), settings.WaitClosePartition);
        Assert.Equal(TimeSpan.FromSeconds(5), settings.PartitionHandlerWarning);
        Assert.Equal(128, settings.BufferSize);
        Assert.Equal("akka.kafka.default-dispatcher", settings.DispatcherId);
        Assert.Equal("false", settings.Properties["enable.auto.commit"]);
        Assert.Null(settings.GroupId);

        var producer = ProducerSettings<string, string>.Create(system, null, null);
        Assert.Equal(100, producer.Parallelism);
        Assert.Equal(TimeSpan.FromSeconds(10), producer.FlushTimeout);

        var committer = CommitterSettings.Create(system);
        Assert.Equal(1000, committer.MaxBatch);
        Assert.Equal(TimeSpan.FromSeconds(10), committer.MaxInterval);
        Assert.Equal(1, committer.Parallelism);
    }

    [Fact]
    public void ConsumerSettings_must_merge_the_system_section_over_the_defaults_and_flatten_kafka_clients()
    {
        var config = ConfigurationFactory.ParseString("""
            akka.kafka.consumer {
              poll-timeout = 10ms
              buffer-size = 16
              kafka-clients {
                bootstrap.servers = "broker-1:9092,broker-2:9092"
                group.id = alerts
                security.protocol = SASL_SSL
                sasl.mechanism = SCRAM-SHA-512
                sasl.password = hunter2
              }
            }
            akka.kafka.committer.max-batch = 50
            akka.kafka.producer.kafka-clients.compression.type = lz4
            """);
        using var system = ActorSystem.Create("merge", config);
        var settings = ConsumerSettings<string, string>.Create(system, null, null);

        Assert.Equal(TimeSpan.FromMilliseconds(10), settings.PollTimeout);
        Assert.Equal(16, settings.BufferSize);
        Assert.Equal(TimeSpan.FromSeconds(30), settings.StopTimeout);
        Assert.Equal("alerts", settings.GroupId);
        Assert.Equal("broker-1:9092,broker-2:9092", settings.Properties["bootstrap.servers"]);
        Assert.Equal("SCRAM-SHA-512", settings.Properties["sasl.mechanism"]);
        Assert.Equal("false", settings.Properties["enable.auto.commit"]);

        var client = settings.ToConsumerConfig();
        Assert.Equal("SASL_SSL", client.Get("security.protocol"));
        Assert.Equal("hunter2", client.SaslPassword);
        Assert.Equal(false, client.EnableAutoCommit);

        Assert.Equal(50, CommitterSettings.Create(system).MaxBatch);
        Assert.Equal(CompressionType.Lz4, ProducerSettings<string, string>.Create(system, null, null).ToProducerConfig().CompressionType);
    }

    [Fact]
    public void ConsumerSettings_must_read_a_section_with_the_same_layout_and_fill_the_rest_from_the_defaults()
    {
        var section = ConfigurationFactory.ParseString("""
            poll-interval = 5ms
            kafka-clients { client.id = edge-7 }
            """);
        var settings = ConsumerSettings<string, string>.Create(section, null, null);

        Assert.Equal(TimeSpan.FromMilliseconds(5), settings.PollInterval);
        Assert.Equal(TimeSpan.FromMilliseconds(50), settings.PollTimeout);
        Assert.Equal("edge-7", settings.Properties["client.id"]);
    }

    [Fact]
    public void With_copies_must_change_the_copy_only()
    {
        var original = ConsumerSettings<string, string>.Create(ConfigurationFactory.Empty, null, null);
        var changed = original
            .WithBootstrapServers("b:1")
            .WithGroupId("g")
            .WithClientId("c")
            .WithProperty("session.timeout.ms", "6000")
            .WithPollTimeout(TimeSpan.FromMilliseconds(5))
            .WithStopTimeout(TimeSpan.Zero)
            .WithBufferSize(4);

        Assert.Equal("g", changed.GroupId);
        Assert.Equal("b:1", changed.Properties["bootstrap.servers"]);
        Assert.Equal("c", changed.Properties["client.id"]);
        Assert.Equal("6000", changed.Properties["session.timeout.ms"]);
        Assert.Equal(4, changed.BufferSize);
        Assert.Equal(TimeSpan.Zero, changed.StopTimeout);
        Assert.Null(original.GroupId);
        Assert.False(original.Properties.ContainsKey("bootstrap.servers"));
        Assert.Equal(128, original.BufferSize);

        var producer = ProducerSettings<string, string>.Create(ConfigurationFactory.Empty, null, null);
        Assert.Equal(7, producer.WithParallelism(7).Parallelism);
        Assert.Equal(100, producer.Parallelism);

        var committer = CommitterSettings.Create(ConfigurationFactory.Empty);
        Assert.Equal(3, committer.WithMaxBatch(3).MaxBatch);
        Assert.Equal(1000, committer.MaxBatch);
    }

    [Fact]
    public void Settings_must_refuse_a_value_out_of_range_naming_its_key()
    {
        var error = Assert.Throws<ConfigurationException>(() =>
            ConsumerSettings<string, string>.Create(ConfigurationFactory.ParseString("buffer-size = 0"), null, null));
        Assert.Contains("buffer-size", error.Message, StringComparison.Ordinal);

        var parallelism = Assert.Throws<ConfigurationException>(() =>
            ProducerSettings<string, string>.Create(ConfigurationFactory.ParseString("parallelism = -1"), null, null));
        Assert.Contains("parallelism", parallelism.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Settings_must_not_show_secrets_in_their_text()
    {
        var settings = ConsumerSettings<string, string>.Create(ConfigurationFactory.Empty, null, null)
            .WithProperty("sasl.password", "hunter2")
            .WithProperty("sasl.username", "alerting");
        var text = settings.ToString();

        Assert.DoesNotContain("hunter2", text, StringComparison.Ordinal);
        Assert.Contains("sasl.username=alerting", text, StringComparison.Ordinal);
    }
}
