using Alerting.Configuration;
using Alerting.Dispatch.Hosting;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.IntegrationTests;

/// <summary>The Kafka client configurations the service builds from <c>alerting.kafka</c>.</summary>
public sealed class KafkaClientConfigsSpec : IDisposable
{
    private const string MskConf = """
        alerting.kafka {
          client-id = "plant-7"
          linger = 20ms
          fetch-max-wait = 250ms
          compression = zstd
          producer-queue-max-messages = 54321
          properties {
            "security.protocol" = SASL_SSL
            "sasl.mechanism" = SCRAM-SHA-512
            "sasl.username" = alerting
            "sasl.password" = "s3cret"
            "ssl.ca.location" = "/etc/alerting/msk-ca.pem"
            "socket.keepalive.enable" = true
          }
        }
        """;

    private static readonly Dictionary<string, string> Expected = new(StringComparer.Ordinal)
    {
        ["security.protocol"] = "SASL_SSL",
        ["sasl.mechanism"] = "SCRAM-SHA-512",
        ["sasl.username"] = "alerting",
        ["sasl.password"] = "s3cret",
        ["ssl.ca.location"] = "/etc/alerting/msk-ca.pem",
        ["socket.keepalive.enable"] = "true",
    };

    private readonly string _dir = Directory.CreateTempSubdirectory("alerting-kafka-config").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private AlertingSettings Bind(string conf, params string[] args)
    {
        var path = Path.Combine(_dir, "kafka.conf");
        File.WriteAllText(path, conf);
        return AlertingSettings.Create(ServiceConfiguration.Build(path, "run", args));
    }

    private static void AssertHasProperties(ClientConfig config)
    {
        foreach (var (key, value) in Expected)
        {
            Assert.Equal(value, config.Get(key));
        }
    }

    [Fact]
    public void Every_property_and_the_producer_settings_must_reach_the_producer_configs()
    {
        var kafka = Bind(MskConf, "--alerting:kafka:bootstrap-servers=b-1.msk:9096").Kafka;

        var producer = kafka.ProducerConfig("alert");

        AssertHasProperties(producer);
        Assert.Equal("b-1.msk:9096", producer.BootstrapServers);
        Assert.Equal("plant-7-alert", producer.ClientId);
        Assert.Equal(CompressionType.Zstd, producer.CompressionType);
        Assert.Equal(54321, producer.QueueBufferingMaxMessages);
        Assert.Equal(20, producer.LingerMs);
        Assert.True(producer.EnableIdempotence);
    }

    [Fact]
    public void Every_property_must_reach_the_consumer_and_admin_configs()
    {
        var kafka = Bind(MskConf, "--alerting:kafka:bootstrap-servers=b-1.msk:9096").Kafka;

        var consumer = kafka.ConsumerConfig("alerts-group", "alert");
        var admin = kafka.AdminConfig("admin", bootstrapServers: "127.0.0.1:9092");

        AssertHasProperties(consumer);
        AssertHasProperties(admin);
        Assert.Equal("alerts-group", consumer.GroupId);
        Assert.Equal("plant-7-alert", consumer.ClientId);
        Assert.Equal(250, consumer.FetchWaitMaxMs);
        Assert.False(consumer.EnableAutoCommit);
        Assert.Equal("127.0.0.1:9092", admin.BootstrapServers);
        Assert.Equal("plant-7-admin", admin.ClientId);
    }

    [Fact]
    public void Every_property_must_reach_the_dispatchers_clients_through_its_settings()
    {
        var kafka = Bind(MskConf).Kafka;
        var dispatch = new DispatchSettings
        {
            BootstrapServers = "127.0.0.1:9092",
            ConfigureConsumer = kafka.Configure,
            ConfigureProducer = kafka.Configure,
        };
        var consumer = new ConsumerConfig { BootstrapServers = dispatch.BootstrapServers, GroupId = dispatch.GroupId };
        var producer = new ProducerConfig { BootstrapServers = dispatch.BootstrapServers };

        dispatch.ConfigureConsumer!(consumer, "dispatch");
        dispatch.ConfigureProducer!(producer, "dispatch");

        AssertHasProperties(consumer);
        AssertHasProperties(producer);
        Assert.Equal("plant-7-dispatch", consumer.ClientId);
        Assert.Equal(dispatch.GroupId, consumer.GroupId);
        Assert.Equal(CompressionType.Zstd, producer.CompressionType);
        Assert.Equal(54321, producer.QueueBufferingMaxMessages);
    }

    [Fact]
    public void A_client_id_given_as_a_property_must_win_over_the_prefix()
    {
        var kafka = Bind("alerting.kafka.properties { \"client.id\" = msk-client }", "--alerting:kafka:bootstrap-servers=b-1.msk:9096").Kafka;

        Assert.Equal("msk-client", kafka.ProducerConfig("alert").ClientId);
        Assert.Equal("msk-client", kafka.ConsumerConfig("g", "alert").ClientId);
    }

    [Theory]
    [InlineData("sasl.mechanismz")]
    [InlineData("ssl.keystore.locaton")]
    public void An_unknown_property_must_stop_start_up_naming_its_key(string key)
    {
        var ex = Assert.Throws<ConfigurationValueException>(() => Bind($"alerting.kafka.properties {{ \"{key}\" = x }}"));

        Assert.Equal("alerting.kafka.properties." + key, ex.Key);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a librdkafka configuration property", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_property_given_on_the_command_line_must_stop_start_up_naming_its_key()
    {
        var ex = Assert.Throws<ConfigurationValueException>(() => Bind("", "--alerting:kafka:properties:sasl.mechansim=PLAIN"));

        Assert.Equal("alerting.kafka.properties.sasl.mechansim", ex.Key);
    }
}
