using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using Alerting.Kafka.Embedded;
using Alerting.TestKit;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests;

/// <summary>The embedded cluster's own controls. Each test starts its own cluster, since faults are cluster-wide.</summary>
public sealed class EmbeddedKafkaClusterSpec
{
    private static Metadata Metadata(EmbeddedKafkaCluster cluster, string topic)
    {
        using var admin = KafkaClients.AdminClientBuilder(new AdminClientConfig { BootstrapServers = cluster.BootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();
        return admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
    }

    /// <summary>The accept queue limit of the socket listening on <paramref name="port"/>, as <c>ss</c> (iproute2) shows it.</summary>
    private static async Task<int> ListenBacklogOf(int port)
    {
        using var ss = Process.Start(new ProcessStartInfo("ss", ["-Hltn", $"sport = :{port}"]) { RedirectStandardOutput = true })!;
        var output = await ss.StandardOutput.ReadToEndAsync();
        await ss.WaitForExitAsync();
        var columns = output.Split(['\n'], StringSplitOptions.RemoveEmptyEntries).Single().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return int.Parse(columns[2], CultureInfo.InvariantCulture); // State Recv-Q Send-Q: a listener's Send-Q is its backlog
    }

    private static IProducer<string, string> ProducerWithoutRetries(EmbeddedKafkaCluster cluster) =>
        KafkaTestClients.CreateProducer(cluster.BootstrapServers, c =>
        {
            c.EnableIdempotence = false;
            c.MessageSendMaxRetries = 0;
            c.MessageTimeoutMs = 10_000;
        });

    [Fact]
    public async Task An_embedded_cluster_must_list_its_brokers_and_the_partitions_of_created_topics()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);

        cluster.CreateTopic("events", partitions: 5, replicationFactor: 3);
        var metadata = Metadata(cluster, "events");

        Assert.Equal([1, 2, 3], metadata.Brokers.Select(b => b.BrokerId).Order());
        Assert.Equal(3, cluster.BootstrapServers.Split(',').Length);
        var topic = Assert.Single(metadata.Topics);
        Assert.False(topic.Error.IsError);
        Assert.Equal(5, topic.Partitions.Count);
        Assert.All(topic.Partitions, p => Assert.Equal(3, p.Replicas.Length));
    }

    [Fact]
    public async Task An_embedded_cluster_must_queue_a_burst_of_new_connections_on_every_broker_also_after_a_broker_restart()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        var expected = Math.Min(1024, int.Parse(File.ReadAllText("/proc/sys/net/core/somaxconn").Trim(), CultureInfo.InvariantCulture));
        var ports = cluster.BootstrapServers.Split(',').Select(s => int.Parse(s[(s.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture)).ToList();

        Assert.All(await Task.WhenAll(ports.Select(ListenBacklogOf)), backlog => Assert.Equal(expected, backlog));

        // A broker taken down and up listens on a new socket of the same port.
        cluster.SetBrokerDown(2);
        cluster.SetBrokerUp(2);
        Assert.All(await Task.WhenAll(ports.Select(ListenBacklogOf)), backlog => Assert.Equal(expected, backlog));
    }

    [Fact]
    public async Task An_embedded_cluster_must_move_partition_leadership_on_request()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 3);
        cluster.CreateTopic("moved", partitions: 2, replicationFactor: 3);

        cluster.SetPartitionLeader("moved", 0, 2);
        cluster.SetPartitionLeader("moved", 1, 3);
        var partitions = Metadata(cluster, "moved").Topics.Single().Partitions.OrderBy(p => p.PartitionId).ToList();

        Assert.Equal(2, partitions[0].Leader);
        Assert.Equal(3, partitions[1].Leader);
    }

    [Fact]
    public async Task Injected_request_errors_must_fail_the_next_requests_in_order_and_then_stop()
    {
        var ct = TestContext.Token;
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopic("faulty", partitions: 1);
        using var producer = ProducerWithoutRetries(cluster);

        cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.NotEnoughReplicas, ErrorCode.InvalidRecord);

        var first = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync("faulty", new Message<string, string> { Key = "k", Value = "1" }, ct));
        var second = await Assert.ThrowsAsync<ProduceException<string, string>>(
            () => producer.ProduceAsync("faulty", new Message<string, string> { Key = "k", Value = "2" }, ct));
        var third = await producer.ProduceAsync("faulty", new Message<string, string> { Key = "k", Value = "3" }, ct);

        Assert.Equal(ErrorCode.NotEnoughReplicas, first.Error.Code);
        Assert.Equal(ErrorCode.InvalidRecord, second.Error.Code);
        Assert.Equal(PersistenceStatus.Persisted, third.Status);
        Assert.Equal(0, third.Offset.Value);
    }

    [Fact]
    public async Task Cleared_request_errors_must_not_fail_later_requests()
    {
        var ct = TestContext.Token;
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 1);
        cluster.CreateTopic("cleared", partitions: 1);
        using var producer = ProducerWithoutRetries(cluster);

        cluster.PushRequestErrors(KafkaApiKey.Produce, ErrorCode.InvalidRecord, ErrorCode.InvalidRecord);
        cluster.PushRequestErrors(KafkaApiKey.Fetch, ErrorCode.InvalidRecord);
        cluster.ClearAllRequestErrors();
        var delivered = await producer.ProduceAsync("cleared", new Message<string, string> { Key = "k", Value = "v" }, ct);
        var read = await KafkaTestClients.ReadAsync(cluster.BootstrapServers, "cleared", 1, TimeSpan.FromSeconds(10), ct);

        Assert.Equal(PersistenceStatus.Persisted, delivered.Status);
        Assert.Equal("v", Assert.Single(read).Message.Value);
    }

    [Fact]
    public async Task An_embedded_cluster_must_reject_controls_aimed_at_unknown_brokers()
    {
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 2);

        var down = Assert.Throws<KafkaException>(() => cluster.SetBrokerDown(7));
        var rtt = Assert.Throws<KafkaException>(() => cluster.SetBrokerRoundTripTime(9, TimeSpan.FromMilliseconds(5)));

        Assert.Equal(ErrorCode.BrokerNotAvailable, down.Error.Code);
        Assert.Equal(ErrorCode.BrokerNotAvailable, rtt.Error.Code);
        cluster.SetBrokerRoundTripTime(2, TimeSpan.FromMilliseconds(5));
        cluster.SetBrokerRoundTripTime(2, TimeSpan.Zero);
    }

    [Fact]
    public async Task A_disposed_cluster_must_close_its_ports_refuse_controls_and_tolerate_a_second_dispose()
    {
        var cluster = EmbeddedKafkaCluster.Start(brokers: 2);
        var endpoints = cluster.BootstrapServers.Split(',');
        using (var probe = new TcpClient())
        {
            var (host, port) = Split(endpoints[0]);
            await probe.ConnectAsync(host, port, TestContext.Token);
        }

        await cluster.DisposeAsync();
        await cluster.DisposeAsync();
        cluster.Dispose();

        Assert.Throws<ObjectDisposedException>(() => cluster.CreateTopic("late", 1));
        foreach (var endpoint in endpoints)
        {
            var (host, port) = Split(endpoint);
            using var probe = new TcpClient();
            await Assert.ThrowsAsync<SocketException>(() => probe.ConnectAsync(host, port, TestContext.Token).AsTask());
        }
    }

    private static (string Host, int Port) Split(string endpoint)
    {
        var colon = endpoint.LastIndexOf(':');
        return (endpoint[..colon], int.Parse(endpoint[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture));
    }
}
