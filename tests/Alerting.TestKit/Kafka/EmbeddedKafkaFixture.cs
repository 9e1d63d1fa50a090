using Alerting.Kafka.Embedded;
using Confluent.Kafka;
using Xunit;

namespace Alerting.TestKit;

/// <summary>
/// An xunit class or collection fixture owning one embedded Kafka cluster of three brokers for the tests that
/// share it. Tests create their own uniquely named topics and groups, so they never see each other's data.
/// Faults (brokers down, injected request errors) are cluster-wide: tests that inject them should start their
/// own <see cref="EmbeddedKafkaCluster"/> rather than use this shared one.
/// </summary>
public sealed class EmbeddedKafkaFixture : IAsyncLifetime
{
    /// <summary>Brokers in the shared cluster.</summary>
    public const int Brokers = 3;

    private EmbeddedKafkaCluster? _cluster;

    /// <summary>The shared cluster; available once the fixture is initialised.</summary>
    public EmbeddedKafkaCluster Cluster =>
        _cluster ?? throw new InvalidOperationException("The fixture has not been initialised.");

    /// <summary>The cluster's <c>bootstrap.servers</c>.</summary>
    public string BootstrapServers => Cluster.BootstrapServers;

    /// <summary>Starts the cluster.</summary>
    public Task InitializeAsync()
    {
        _cluster = EmbeddedKafkaCluster.Start(Brokers);
        return Task.CompletedTask;
    }

    /// <summary>Destroys the cluster.</summary>
    public async Task DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }

    /// <summary>Creates a topic named <paramref name="prefix"/> plus a unique suffix and returns its name.</summary>
    public string CreateTopic(string prefix, int partitions, int replicationFactor = 1)
    {
        var name = KafkaTestClients.UniqueName(prefix);
        Cluster.CreateTopic(name, partitions, replicationFactor);
        return name;
    }

    /// <summary>A consumer group id no other test uses.</summary>
    public static string NewGroupId(string prefix) => KafkaTestClients.UniqueName(prefix);

    /// <summary>A producer on the shared cluster (see <see cref="KafkaTestClients.CreateProducer"/>).</summary>
    public IProducer<string, string> CreateProducer(Action<ProducerConfig>? configure = null) =>
        KafkaTestClients.CreateProducer(BootstrapServers, configure);

    /// <summary>A consumer group member on the shared cluster (see <see cref="KafkaTestClients.CreateConsumer"/>).</summary>
    public IConsumer<string, string> CreateConsumer(
        string groupId,
        Action<ConsumerConfig>? configure = null,
        Action<IConsumer<string, string>, List<TopicPartition>>? onAssigned = null,
        Action<IConsumer<string, string>, List<TopicPartitionOffset>>? onRevoked = null) =>
        KafkaTestClients.CreateConsumer(BootstrapServers, groupId, configure, onAssigned, onRevoked);

    /// <summary>Produces <paramref name="messages"/> in order and waits for every delivery report.</summary>
    public Task<IReadOnlyList<DeliveryResult<string, string>>> ProduceAsync(
        string topic, IEnumerable<Message<string, string>> messages, CancellationToken cancellationToken) =>
        KafkaTestClients.ProduceAsync(BootstrapServers, topic, messages, cancellationToken);

    /// <summary>Reads <paramref name="count"/> records of a topic from the beginning, without a group.</summary>
    public Task<IReadOnlyList<ConsumeResult<string, string>>> ReadAsync(
        string topic, int count, TimeSpan timeout, CancellationToken cancellationToken) =>
        KafkaTestClients.ReadAsync(BootstrapServers, topic, count, timeout, cancellationToken);
}
