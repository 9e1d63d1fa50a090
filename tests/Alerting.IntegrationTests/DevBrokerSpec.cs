using Alerting.Kafka;
using Alerting.Service.Hosting;
using Confluent.Kafka;

namespace Alerting.IntegrationTests;

/// <summary>The <c>dev-broker</c> verb: a long-lived embedded broker other processes can use.</summary>
public sealed class DevBrokerSpec
{
    [Fact]
    public async Task The_dev_broker_must_print_its_address_serve_the_topics_and_stop_on_cancellation()
    {
        var output = new StringWriter();
        var synced = TextWriter.Synchronized(output);
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var run = ServiceHost.RunAsync(Service.Hosting.CommandLine.Parse(["dev-broker"]), synced, stop.Token);

        string? bootstrap = null;
        while (bootstrap is null && !run.IsCompleted)
        {
            await Task.Delay(50, cts.Token);
            bootstrap = output.ToString().Split('\n').FirstOrDefault(l => l.StartsWith("bootstrap.servers=", StringComparison.Ordinal))?.Trim()["bootstrap.servers=".Length..];
        }

        Assert.NotNull(bootstrap);
        using (var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(bootstrap)).Build())
        {
            var result = await producer.ProduceAsync("device-events", new Message<string, string> { Key = "42", Value = "{}" }, cts.Token);
            Assert.Equal(PersistenceStatus.Persisted, result.Status);
        }

        using (var admin = KafkaClients.AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build())
        {
            var meta = admin.GetMetadata("alerts", TimeSpan.FromSeconds(10));
            Assert.Equal(8, meta.Topics.Single().Partitions.Count);
        }

        await stop.CancelAsync();
        Assert.Equal(0, await run.WaitAsync(TimeSpan.FromSeconds(30), cts.Token));
    }
}
