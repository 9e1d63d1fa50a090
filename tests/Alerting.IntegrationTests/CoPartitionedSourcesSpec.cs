using System.Globalization;
using System.Text;
using Akka.Actor;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>
/// Two source topics keyed by device with the same partition count: a device's events of both topics meet in one
/// substream (partition N of every topic), so a rule whose steps come from different topics matches.
/// </summary>
public sealed class CoPartitionedSourcesSpec : IDisposable
{
    private const int Partitions = 3;
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"alerting-co-partitioned-{Guid.NewGuid():N}.db");

    public void Dispose() => TemporaryDatabase.Delete(_checkpoints);

    [Fact]
    public async Task A_rule_must_match_a_device_whose_steps_arrive_on_two_co_partitioned_topics()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        var faults = settings.Sources[0];
        var alarms = faults with { Topic = "device-alarms" };
        settings = settings with
        {
            Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers },
            Sources = [faults, alarms],
            AlertGroupId = "co-partitioned",
        };
        foreach (var topic in settings.Kafka.Topics.All.Append(alarms.Topic))
        {
            cluster.CreateTopic(topic, Partitions);
        }

        // Device 7: a fault on the faults topic, its alarm on the alarms topic 30 s later (the shipped FAULT_ALARM
        // rule); device 8: the same with a run between them, also on the alarms topic (no alert). Each topic's
        // records are produced in event-time order: a partition that went back by more than the bounded disorder
        // (5 s) would have its older events refused as too late once the other topic moves the watermark. End
        // markers far later on every partition of both topics move the watermark past them.
        var start = DateTimeOffset.UtcNow - TimeSpan.FromHours(1);
        using (var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(KafkaClients.ProducerConfig(cluster.BootstrapServers)).Build())
        {
            foreach (var (topic, device, kind, code, at) in new[]
            {
                (faults.Topic, 7, "Fault", 103, 0), (faults.Topic, 8, "Fault", 103, 0),
                (alarms.Topic, 8, "Run", 0, 10), (alarms.Topic, 7, "Alarm", 0, 30), (alarms.Topic, 8, "Alarm", 0, 30),
            })
            {
                await producer.ProduceAsync(topic, Record(device, kind, code, start.AddSeconds(at)), cts.Token);
            }

            foreach (var topic in new[] { faults.Topic, alarms.Topic })
            {
                for (var p = 0; p < Partitions; p++)
                {
                    await producer.ProduceAsync(new TopicPartition(topic, p), Record(9000 + p, "Heartbeat", 0, start.AddMinutes(10)), cts.Token);
                }
            }
        }

        using var system = CheckpointSystems.Sqlite("co-partitioned-spec", _checkpoints);
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        // Checkpointed as the service does: should the group rebalance meanwhile, both topics' partitions resume
        // from one snapshot of their shared matcher.
        var graph = new AlertGraph(system, settings, rules, new PipelineCounters(), TimeProvider.System, NullLoggerFactory.Instance, checkpoints: new AlertCheckpointStore(system, TimeProvider.System));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var run = graph.RunAsync(stop.Token);
        var alert = await ReadFirstAlertAsync(settings.Kafka.BootstrapServers, settings.Kafka.Topics.Alerts, cts.Token);
        await Task.Delay(TimeSpan.FromSeconds(1), cts.Token); // a wrong alert for device 8 would be out by now
        await stop.CancelAsync();
        await run;

        Assert.Equal(("7", "FAULT_ALARM", AlertKind.Generate), (alert.DeviceNumber, alert.AlertType, alert.Kind));
        var all = ReadAll(settings.Kafka.BootstrapServers, settings.Kafka.Topics.Alerts);
        Assert.DoesNotContain(all, a => a.DeviceNumber == "8");
        Assert.True(graph.Consumed >= 11, $"{graph.Consumed} records consumed"); // more when a rebalance made it read again
    }

    private static Message<byte[]?, byte[]> Record(int device, string kind, int code, DateTimeOffset time)
    {
        var id = string.Create(CultureInfo.InvariantCulture, $"{device}-{kind}-{time.ToUnixTimeMilliseconds()}");
        var json = string.Create(
            CultureInfo.InvariantCulture,
            $$"""{"Message":"{{kind}}","Param":{"ErrCode":{{code}},"Timestamp":"{{time.ToString("O", CultureInfo.InvariantCulture)}}","ID":"{{id}}"},"DeviceNumber":{{device}}}""");
        return new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(device.ToString(CultureInfo.InvariantCulture)), Value = Encoding.UTF8.GetBytes(json) };
    }

    private static async Task<AlertMessage> ReadFirstAlertAsync(string bootstrap, string topic, CancellationToken cancellationToken)
    {
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (ReadAll(bootstrap, topic).FirstOrDefault() is { } alert)
            {
                return alert;
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static List<AlertMessage> ReadAll(string bootstrap, string topic)
    {
        var config = KafkaClients.ConsumerConfig(bootstrap, "reader-" + Guid.NewGuid().ToString("N"), TimeSpan.FromSeconds(10), TimeSpan.FromSeconds(3));
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        config.EnablePartitionEof = true;
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, Partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var alerts = new List<AlertMessage>();
        var ended = 0;
        while (ended < Partitions)
        {
            var result = consumer.Consume(TimeSpan.FromSeconds(5));
            if (result is null || result.IsPartitionEOF)
            {
                ended++;
                continue;
            }

            alerts.Add(DispatchJson.ParseAlert(Encoding.UTF8.GetString(result.Message.Value)) ?? throw new InvalidDataException("an alert record that does not parse"));
        }

        consumer.Close();
        return alerts;
    }
}
