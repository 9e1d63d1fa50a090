using System.Globalization;
using System.Runtime.InteropServices;
using Alerting.Kafka.Native;
using Confluent.Kafka;

namespace Alerting.Kafka.Embedded;

/// <summary>
/// A Kafka-protocol cluster inside this process: librdkafka's mock cluster, serving produce, fetch,
/// metadata, consumer groups and offsets on loopback ports, with fault injection (brokers down and up,
/// injected request errors, added round-trip time, moved partition leaders and coordinators).
/// </summary>
/// <remarks>
/// The brokers' listeners get an accept queue of <see cref="ListenBacklog.Backlog"/> connections on Linux instead of the
/// mock's 5 (see <see cref="ListenBacklog"/>), so a burst of new clients is not held up by dropped SYNs.
/// Brokers are numbered 1..<c>brokers</c>. The mock offers no admin API: create topics with
/// <see cref="CreateTopic"/> (producing to an unknown topic would auto-create it with 4 partitions).
/// Injected request errors are cluster-wide per API key and shared by every client of this cluster.
/// All members are thread-safe. Disposing destroys the cluster; members called afterwards throw
/// <see cref="ObjectDisposedException"/>, and disposing again does nothing.
/// </remarks>
public sealed class EmbeddedKafkaCluster : IAsyncDisposable, IDisposable
{
    private const int ErrorTextSize = 512;

    private readonly MockClusterSafeHandle _handle;

    private EmbeddedKafkaCluster(MockClusterSafeHandle handle, int brokerCount, string bootstrapServers)
    {
        _handle = handle;
        BrokerCount = brokerCount;
        BootstrapServers = bootstrapServers;
    }

    /// <summary>The <c>bootstrap.servers</c> list of this cluster (loopback addresses).</summary>
    public string BootstrapServers { get; }

    /// <summary>How many brokers the cluster has; their ids are 1..BrokerCount.</summary>
    public int BrokerCount { get; }

    /// <summary>
    /// Starts a mock cluster of <paramref name="brokers"/> brokers listening on free loopback ports, whose group
    /// coordinators answer an empty group's first join after <paramref name="groupInitialRebalanceDelay"/>.
    /// </summary>
    /// <param name="brokers">Number of brokers, at least 1.</param>
    /// <param name="groupInitialRebalanceDelay">
    /// The brokers' <c>group.initial.rebalance.delay.ms</c>: how long a coordinator waits for more members before
    /// it answers the first join of an empty group (Kafka's default is 3 s). Zero, the default here, answers as
    /// soon as the first member has joined; members joining later cause a rebalance as usual.
    /// </param>
    /// <exception cref="KafkaException">librdkafka refused to create the cluster.</exception>
    public static EmbeddedKafkaCluster Start(int brokers = 1, TimeSpan groupInitialRebalanceDelay = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(brokers, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupInitialRebalanceDelay, TimeSpan.Zero);
        KafkaNative.EnsureLoaded();

        var client = CreateOwnerClient();
        var mock = LibRdKafka.rd_kafka_mock_cluster_new(client, brokers);
        if (mock == IntPtr.Zero)
        {
            LibRdKafka.rd_kafka_destroy(client);
            throw new KafkaException(new Error(ErrorCode.Local_Fail, "rd_kafka_mock_cluster_new failed"));
        }

        var handle = new MockClusterSafeHandle(mock, client);
        var bootstraps = Marshal.PtrToStringUTF8(LibRdKafka.rd_kafka_mock_cluster_bootstraps(handle))
            ?? throw new KafkaException(new Error(ErrorCode.Local_Fail, "mock cluster has no bootstrap servers"));
        var cluster = new EmbeddedKafkaCluster(handle, brokers, bootstraps);
        cluster.SetGroupInitialRebalanceDelay(groupInitialRebalanceDelay);
        ListenBacklog.Widen(ListenBacklog.Ports(bootstraps));
        return cluster;
    }

    /// <summary>
    /// Sets the brokers' <c>group.initial.rebalance.delay.ms</c> for groups that are empty from now on (see
    /// <see cref="Start"/>).
    /// </summary>
    public void SetGroupInitialRebalanceDelay(TimeSpan delay)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(delay, TimeSpan.Zero);
        LibRdKafka.rd_kafka_mock_group_initial_rebalance_delay_ms(_handle, checked((int)delay.TotalMilliseconds));
    }

    /// <summary>Creates a topic with its partitions' leaders spread over the brokers.</summary>
    /// <param name="name">Topic name.</param>
    /// <param name="partitions">Number of partitions, at least 1.</param>
    /// <param name="replicationFactor">Replicas per partition, between 1 and the number of brokers.</param>
    public void CreateTopic(string name, int partitions, int replicationFactor = 1)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentOutOfRangeException.ThrowIfLessThan(partitions, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(replicationFactor, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(replicationFactor, BrokerCount);
        Check(LibRdKafka.rd_kafka_mock_topic_create(_handle, name, partitions, replicationFactor), $"create topic {name}");
    }

    /// <summary>Takes a broker down: its connections are closed and new ones refused until <see cref="SetBrokerUp"/>.</summary>
    public void SetBrokerDown(int brokerId) =>
        Check(LibRdKafka.rd_kafka_mock_broker_set_down(_handle, brokerId), $"set broker {brokerId} down");

    /// <summary>Brings a broker taken down by <see cref="SetBrokerDown"/> back up.</summary>
    public void SetBrokerUp(int brokerId)
    {
        Check(LibRdKafka.rd_kafka_mock_broker_set_up(_handle, brokerId), $"set broker {brokerId} up");
        // The broker listens on a new socket (same port), again with the mock's backlog of 5.
        ListenBacklog.Widen(ListenBacklog.Ports(BootstrapServers));
    }

    /// <summary>Delays every response of a broker by <paramref name="roundTripTime"/> (zero removes the delay).</summary>
    public void SetBrokerRoundTripTime(int brokerId, TimeSpan roundTripTime)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(roundTripTime, TimeSpan.Zero);
        var ms = checked((int)roundTripTime.TotalMilliseconds);
        Check(LibRdKafka.rd_kafka_mock_broker_set_rtt(_handle, brokerId, ms), $"set broker {brokerId} rtt");
    }

    /// <summary>Moves the leadership of a partition to <paramref name="brokerId"/> (-1 leaves it without a leader).</summary>
    public void SetPartitionLeader(string topic, int partition, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        Check(LibRdKafka.rd_kafka_mock_partition_set_leader(_handle, topic, partition, brokerId),
            $"set leader of {topic}[{partition}] to {brokerId}");
    }

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of a consumer group.</summary>
    public void SetGroupCoordinator(string groupId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        Check(LibRdKafka.rd_kafka_mock_coordinator_set(_handle, "group", groupId, brokerId),
            $"set coordinator of group {groupId} to {brokerId}");
    }

    /// <summary>Makes <paramref name="brokerId"/> the coordinator of a transactional producer id.</summary>
    public void SetTransactionCoordinator(string transactionalId, int brokerId)
    {
        ArgumentException.ThrowIfNullOrEmpty(transactionalId);
        Check(LibRdKafka.rd_kafka_mock_coordinator_set(_handle, "transaction", transactionalId, brokerId),
            $"set coordinator of transactional id {transactionalId} to {brokerId}");
    }

    /// <summary>
    /// Makes the next requests of type <paramref name="apiKey"/>, from any client to any broker, fail with
    /// <paramref name="errors"/>, one error per request in order. <see cref="ErrorCode.Local_Transport"/>
    /// closes the client's connection instead of answering. Errors stack up on those pushed before.
    /// </summary>
    public void PushRequestErrors(KafkaApiKey apiKey, params ErrorCode[] errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (errors.Length == 0)
        {
            return;
        }

        var codes = Array.ConvertAll(errors, e => (int)e);
        LibRdKafka.rd_kafka_mock_push_request_errors_array(_handle, (short)apiKey, (nuint)codes.Length, codes);
    }

    /// <summary>Drops the injected errors not yet returned for requests of type <paramref name="apiKey"/>.</summary>
    public void ClearRequestErrors(KafkaApiKey apiKey) =>
        LibRdKafka.rd_kafka_mock_clear_request_errors(_handle, (short)apiKey);

    /// <summary>Drops every injected request error not yet returned, for all request types.</summary>
    public void ClearAllRequestErrors()
    {
        // Kafka API keys served by librdkafka 2.16's mock stay below 100; clearing an unused key does nothing.
        for (short apiKey = 0; apiKey < 100; apiKey++)
        {
            LibRdKafka.rd_kafka_mock_clear_request_errors(_handle, apiKey);
        }
    }

    /// <summary>Destroys the cluster and its host handle (blocking briefly while librdkafka shuts down).</summary>
    public void Dispose() => _handle.Dispose();

    /// <summary>Destroys the cluster off the caller's thread: librdkafka's shutdown joins its threads.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_handle.IsClosed)
        {
            return;
        }

        await Task.Run(_handle.Dispose).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public override string ToString() => $"EmbeddedKafkaCluster({BrokerCount} brokers, {BootstrapServers})";

    private static void Check(int error, string what)
    {
        if (error != 0)
        {
            var code = (ErrorCode)error;
            throw new KafkaException(new Error(code, string.Create(CultureInfo.InvariantCulture, $"{what}: {code}")));
        }
    }

    private static unsafe IntPtr CreateOwnerClient()
    {
        var errstr = stackalloc byte[ErrorTextSize];
        var conf = LibRdKafka.rd_kafka_conf_new();
        // The host handle never produces: keep its own logging to errors only.
        if (LibRdKafka.rd_kafka_conf_set(conf, "log_level", "3", errstr, ErrorTextSize) != LibRdKafka.ConfOk)
        {
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new KafkaException(new Error(ErrorCode.Local_Fail, Text(errstr)));
        }

        var client = LibRdKafka.rd_kafka_new(LibRdKafka.ProducerType, conf, errstr, ErrorTextSize);
        if (client == IntPtr.Zero)
        {
            // rd_kafka_new takes ownership of conf only on success.
            LibRdKafka.rd_kafka_conf_destroy(conf);
            throw new KafkaException(new Error(ErrorCode.Local_Fail, Text(errstr)));
        }

        return client;
    }

    private static unsafe string Text(byte* errstr) => Marshal.PtrToStringUTF8((IntPtr)errstr) ?? "unknown error";
}
