using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>The dev broker's control channel: fault commands on standard input, one answer line each.</summary>
public sealed class DevBrokerControlSpec
{
    [Theory]
    [InlineData("down", BrokerAction.Down, null)]
    [InlineData("up 2", BrokerAction.Up, 2)]
    [InlineData("DOWN all", BrokerAction.Down, null)]
    public void A_broker_command_must_name_every_broker_or_one(string line, BrokerAction action, int? broker)
    {
        var command = BrokerCommand.Parse(line);
        Assert.Equal(action, command.Action);
        Assert.Equal(broker, command.Broker);
    }

    [Fact]
    public void An_errors_command_must_take_the_api_by_name_and_the_code_by_number_or_name()
    {
        Assert.Equal(new BrokerCommand(BrokerAction.Errors, Api: KafkaApiKey.OffsetCommit, Error: ErrorCode.RequestTimedOut, Count: 5),
            BrokerCommand.Parse("errors offsetcommit 7 5"));
        Assert.Equal(new BrokerCommand(BrokerAction.Errors, Api: KafkaApiKey.Fetch, Error: ErrorCode.NotLeaderForPartition, Count: 1),
            BrokerCommand.Parse("errors Fetch NotLeaderForPartition 1"));
        Assert.Equal(new BrokerCommand(BrokerAction.Rtt, Delay: TimeSpan.FromMilliseconds(200)), BrokerCommand.Parse("rtt all 200ms"));
        Assert.Equal(new BrokerCommand(BrokerAction.Clear), BrokerCommand.Parse("clear"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("explode")]
    [InlineData("down 0")]
    [InlineData("errors Produce 7")]
    [InlineData("errors NoSuchApi 7 1")]
    [InlineData("errors 0 7 1")]
    [InlineData("errors Produce 7 0")]
    [InlineData("errors Produce NotAnError 3")]
    [InlineData("rtt all -5ms")]
    public void A_malformed_command_must_be_refused_with_a_reason(string line)
    {
        var ex = Assert.Throws<FormatException>(() => BrokerCommand.Parse(line));
        Assert.False(string.IsNullOrWhiteSpace(ex.Message));
    }

    [Fact]
    public async Task The_control_channel_must_apply_each_line_answer_it_and_leave_the_broker_serving()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var cluster = EmbeddedKafkaCluster.Start(brokers: 2);
        cluster.CreateTopic("t", 2, 1);
        var output = new StringWriter();
        var input = new StringReader("errors Produce 7 2\ndown all\nup\n\nup 3\nbogus\nclear\n");

        await DevBrokerControl.ServeAsync(cluster, input, output, NullLogger.Instance, cts.Token);

        var lines = output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.Equal(
            ["#1 ok errors Produce 7 2", "#2 ok down all", "#3 ok up", "#4 error", "#5 error", "#6 ok clear"],
            lines.Select(l => l.StartsWith("#4 error", StringComparison.Ordinal) || l.StartsWith("#5 error", StringComparison.Ordinal) ? l[..8] : l).ToArray());
        Assert.Contains("does not exist", lines[3], StringComparison.Ordinal);

        // Brokers back up and the pushed errors cleared: a produce goes through.
        using var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(cluster.BootstrapServers)).Build();
        var result = await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" }, cts.Token);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
    }

    [Fact]
    public async Task Injected_produce_errors_must_reach_a_client_and_be_retried()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        await using var cluster = EmbeddedKafkaCluster.Start();
        cluster.CreateTopic("t", 1, 1);
        var output = new StringWriter();
        await DevBrokerControl.ServeAsync(cluster, new StringReader("errors Produce RequestTimedOut 3\n"), output, NullLogger.Instance, cts.Token);
        Assert.StartsWith("#1 ok", output.ToString(), StringComparison.Ordinal);

        var config = KafkaClients.ProducerConfig(cluster.BootstrapServers);
        config.EnableIdempotence = false;
        config.Acks = Acks.All;
        config.MaxInFlight = 1;
        using var producer = KafkaClients.ProducerBuilder<string, string>(config).Build();
        var result = await producer.ProduceAsync("t", new Message<string, string> { Key = "k", Value = "v" }, cts.Token);
        Assert.Equal(PersistenceStatus.Persisted, result.Status);
        // Three attempts timed out without writing; the fourth went through: the record is there once.
        using var consumer = KafkaClients.ConsumerBuilder<string, string>(KafkaClients.ConsumerConfig(cluster.BootstrapServers, "g")).Build();
        Assert.Equal(1, consumer.QueryWatermarkOffsets(new TopicPartition("t", 0), TimeSpan.FromSeconds(10)).High.Value);
    }
}
