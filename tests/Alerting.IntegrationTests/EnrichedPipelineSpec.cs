using System.Globalization;
using System.Text;
using Alerting.Dispatch.Messages;
using Alerting.Enrichment;
using Alerting.Enrichment.Sqlite;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>The alert pipeline with the device-config lookup join, over the embedded broker and an SQLite store.</summary>
public sealed class EnrichedPipelineSpec : IDisposable
{
    private readonly string _database = Path.Combine(Path.GetTempPath(), $"alerting-enriched-{Guid.NewGuid():N}.db");

    [Fact]
    public async Task The_alert_pipeline_must_put_the_devices_overrides_and_info_from_the_store_into_its_alert_records()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var configuration = ServiceConfiguration.Build(null, "demo", []);
        var settings = AlertingSettings.Create(configuration);
        settings = settings with { Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers } };
        foreach (var topic in settings.Kafka.Topics.All)
        {
            cluster.CreateTopic(topic, 1);
        }

        var store = new SqliteDeviceConfigStore($"Data Source={_database}", new DeviceConfigStoreOptions(AutoInitialize: true));
        await store.UpsertAsync([new DeviceConfig("7", 1, 4, "line-3", "sla-tier-4", ["FAULT_ALARM", "FAULT_REPEATED"])], cts.Token);
        var lookup = new DeviceConfigLookup(store, settings.Enrichment);

        // Device 7 has a row, device 8 has none; both fire the fault-pair rule (101 then 102 within a minute),
        // and a later event moves the watermark past them.
        var start = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(2);
        using (var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(KafkaClients.ProducerConfig(cluster.BootstrapServers)).Build())
        {
            foreach (var (device, code, at, kind) in new[]
            {
                (7, 101, 0, "Fault"), (8, 101, 1, "Fault"), (7, 102, 2, "Fault"), (8, 102, 3, "Fault"), (9, 1, 60, "Alarm"),
            })
            {
                var json = string.Create(
                    CultureInfo.InvariantCulture,
                    $$"""{"Message":"{{kind}}","Param":{"ErrCode":{{code}},"Timestamp":"{{(start + TimeSpan.FromSeconds(at)).ToString("O", CultureInfo.InvariantCulture)}}","ID":"e{{at}}"},"DeviceNumber":{{device}}}""");
                await producer.ProduceAsync(
                    settings.Kafka.Topics.Events,
                    new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(device.ToString(CultureInfo.InvariantCulture)), Value = Encoding.UTF8.GetBytes(json) },
                    cts.Token);
            }
        }

        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        using var system = Akka.Actor.ActorSystem.Create("enriched-pipeline-spec");
        var pipeline = new AlertGraph(system, settings, rules, new PipelineCounters(), TimeProvider.System, NullLoggerFactory.Instance, lookup);
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var run = pipeline.RunAsync(stop.Token);

        var alerts = ReadAlerts(settings, 2, cts.Token);
        await stop.CancelAsync();
        try
        {
            await run;
        }
        catch (OperationCanceledException)
        {
        }

        var seven = Assert.Single(alerts, a => a.DeviceNumber == "7");
        var eight = Assert.Single(alerts, a => a.DeviceNumber == "8");
        Assert.Equal("FAULT_PAIR", seven.AlertType);
        Assert.Equal(["FAULT_ALARM", "FAULT_REPEATED"], seven.Overrides);
        Assert.Equal("level=4 info=line-3 sla=sla-tier-4", seven.Info);
        Assert.Equal("FAULT_PAIR", eight.AlertType);
        Assert.True(eight.Overrides is null || eight.Overrides.Count == 0);
        Assert.True(string.IsNullOrEmpty(eight.Info));
        Assert.Equal(1, lookup.Cache.Statistics.MissingDevices);
        Assert.True(store.LoadQueries >= 1);
    }

    private static List<AlertMessage> ReadAlerts(AlertingSettings settings, int count, CancellationToken cancellationToken)
    {
        var config = KafkaClients.ConsumerConfig(settings.Kafka.BootstrapServers, "enriched-spec-reader", settings.Kafka.SessionTimeout, settings.Kafka.HeartbeatInterval);
        config.AutoOffsetReset = AutoOffsetReset.Earliest;
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Subscribe(settings.Kafka.Topics.Alerts);
        var alerts = new List<AlertMessage>();
        try
        {
            while (alerts.Count < count)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                cancellationToken.ThrowIfCancellationRequested();
                if (result is { IsPartitionEOF: false, Message.Value: { } value } &&
                    DispatchJson.ParseAlert(Encoding.UTF8.GetString(value)) is { Kind: AlertKind.Generate } alert)
                {
                    alerts.Add(alert);
                }
            }
        }
        finally
        {
            consumer.Close();
        }

        return alerts;
    }

    public void Dispose() => TemporaryDatabase.Delete(_database);
}
