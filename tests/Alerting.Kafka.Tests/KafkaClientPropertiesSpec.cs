using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

public sealed class KafkaClientPropertiesSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("kafka-properties").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>What AWS MSK asks of a client: SASL over TLS with SCRAM-SHA-512, a CA file, a client id.</summary>
    private Dictionary<string, string> MskProperties() => new(StringComparer.Ordinal)
    {
        ["security.protocol"] = "SASL_SSL",
        ["sasl.mechanism"] = "SCRAM-SHA-512",
        ["sasl.username"] = "alerting",
        ["sasl.password"] = "s3cret",
        ["ssl.ca.location"] = WriteCaFile(),
        ["ssl.endpoint.identification.algorithm"] = "https",
        ["client.id"] = "alerting-msk",
    };

    private string WriteCaFile()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=alerting test CA", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var path = Path.Combine(_dir, "ca.pem");
        File.WriteAllText(path, certificate.ExportCertificatePem());
        return path;
    }

    [Fact]
    public void MSK_style_SASL_SSL_SCRAM_properties_must_be_accepted_and_reach_producer_consumer_and_admin_configs()
    {
        var properties = MskProperties();

        KafkaClientProperties.Validate(properties);
        var producer = KafkaClients.ProducerConfig("127.0.0.1:9092").WithProperties(properties);
        var consumer = KafkaClients.ConsumerConfig("127.0.0.1:9092", "g").WithProperties(properties);
        var admin = new AdminClientConfig { BootstrapServers = "127.0.0.1:9092" }.WithProperties(properties);

        foreach (ClientConfig config in new ClientConfig[] { producer, consumer, admin })
        {
            foreach (var (key, value) in properties)
            {
                Assert.Equal(value, config.Get(key));
            }
        }

        Assert.Equal("alerting-msk", admin.ClientId);
        // The project's own settings stay where the properties say nothing.
        Assert.Equal("g", consumer.GroupId);
        Assert.False(consumer.EnableAutoCommit);
        Assert.Equal(CompressionType.Lz4, producer.CompressionType);
    }

    [Fact]
    public void A_client_with_MSK_style_properties_must_build_since_the_loaded_librdkafka_has_SASL_and_TLS()
    {
        // Building parses the configuration and sets up TLS (reading the CA file) without waiting for a broker.
        var config = KafkaClients.ProducerConfig("127.0.0.1:1").WithProperties(MskProperties());
        using var producer = KafkaClients.ProducerBuilder<Null, string>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();

        Assert.Contains("alerting-msk", producer.Name, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("sasl.mechanismz")]
    [InlineData("ssl.ca.locaton")]
    [InlineData("alerting.not-a-property")]
    public void An_unknown_property_must_be_refused_naming_its_key(string key)
    {
        var properties = new Dictionary<string, string>(MskProperties()) { [key] = "x" };

        var ex = Assert.Throws<InvalidKafkaPropertyException>(() => KafkaClientProperties.Validate(properties));

        Assert.Equal(key, ex.Key);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
        Assert.Contains("not a librdkafka configuration property", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_librdkafka_cannot_take_must_be_refused_naming_its_key()
    {
        var ex = Assert.Throws<InvalidKafkaPropertyException>(() =>
            KafkaClientProperties.Validate([new("security.protocol", "SASL_TLS")]));

        Assert.Equal("security.protocol", ex.Key);
        Assert.Contains("security.protocol", ex.Message, StringComparison.Ordinal);
        Assert.Contains("SASL_TLS", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("group.id")]
    [InlineData("enable.auto.commit")]
    [InlineData("enable.auto.offset.store")]
    [InlineData("bootstrap.servers")]
    public void A_property_the_service_sets_itself_must_be_refused_naming_its_key(string key)
    {
        var ex = Assert.Throws<InvalidKafkaPropertyException>(() => KafkaClientProperties.Validate([new(key, "true")]));

        Assert.Equal(key, ex.Key);
        Assert.Contains(key, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_refused_secret_must_not_be_shown()
    {
        var ex = new InvalidKafkaPropertyException("sasl.password", "s3cret", "a value librdkafka accepts: bad");

        Assert.DoesNotContain("s3cret", ex.Message, StringComparison.Ordinal);
        Assert.Equal("***", ex.Value);
        Assert.True(KafkaClientProperties.IsSecret("ssl.key.password"));
        Assert.False(KafkaClientProperties.IsSecret("sasl.username"));
    }

    [Theory]
    [InlineData("lz4", true)]
    [InlineData("none", false)]
    public async Task A_producer_must_round_trip_records_over_the_embedded_broker_compressed_as_configured(string compression, bool compressed)
    {
        var ct = TestContext.Token;
        var topic = kafka.CreateTopic("compressed-" + compression, partitions: 2);
        // Repetitive JSON, as device events are: lz4 shrinks it to a small part of its size.
        var messages = Enumerable.Range(0, 2000).Select(i => new Message<string, string>
        {
            Key = $"device-{i % 50}",
            Value = $"{{\"seq\":{i},\"padding\":\"{new string('a', 500)}\",\"kind\":\"FAULT\",\"code\":\"A{i % 7}\"}}",
        }).ToList();
        var payloadBytes = messages.Sum(m => m.Key.Length + m.Value.Length);
        var properties = new Dictionary<string, string> { ["compression.type"] = compression, ["statistics.interval.ms"] = "100" };
        KafkaClientProperties.Validate(properties);
        var config = KafkaClients.ProducerConfig(kafka.BootstrapServers).WithProperties(properties);

        var statistics = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        var flushed = 0;
        using (var producer = KafkaClients.ProducerBuilder<string, string>(config)
            .SetLogHandler((_, _) => { })
            .SetStatisticsHandler((_, json) =>
            {
                if (Volatile.Read(ref flushed) == 1)
                {
                    statistics.TrySetResult(json);
                }
            })
            .Build())
        {
            await KafkaTestClients.ProduceAsync(producer, topic, messages, ct);
            producer.Flush(ct);
            Volatile.Write(ref flushed, 1);
            var json = await statistics.Task.WaitAsync(TimeSpan.FromSeconds(20), ct);

            // Bytes the producer sent to the brokers (requests and framing included) against the records' own size.
            using var document = JsonDocument.Parse(json);
            var sent = document.RootElement.GetProperty("brokers").EnumerateObject().Sum(b => b.Value.GetProperty("txbytes").GetInt64());
            if (compressed)
            {
                Assert.True(sent < payloadBytes / 4, $"{sent} bytes sent for {payloadBytes} bytes of records");
            }
            else
            {
                Assert.True(sent > payloadBytes, $"{sent} bytes sent for {payloadBytes} bytes of records");
            }
        }

        var read = await kafka.ReadAsync(topic, messages.Count, TimeSpan.FromSeconds(20), ct);
        Assert.Equal(
            messages.Select(m => (m.Key, m.Value)).Order(),
            read.Select(r => (r.Message.Key, r.Message.Value)).Order());
    }
}
