using Alerting.Dispatch.Messages;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>
/// A partition whose fetches fail for longer than the idle timeout is not idle: the alert graph asks the broker
/// (ListOffsets) before an idle partition's watermark moves on, so the records written during the outage are
/// matched once they are read, none of them late.
/// </summary>
public sealed class IdleConfirmationSpec : IDisposable
{
    private const int Partitions = 1;
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromSeconds(2);
    private readonly string _checkpoints = Path.Combine(Path.GetTempPath(), $"alerting-idle-confirmation-{Guid.NewGuid():N}.db");

    public void Dispose() => TemporaryDatabase.Delete(_checkpoints);

    [Fact]
    public async Task An_alert_graph_must_match_the_events_written_while_its_fetches_failed_for_longer_than_the_idle_timeout()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(3));
        await using var cluster = EmbeddedKafkaCluster.Start();
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        settings = settings with
        {
            Kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers },
            Sources = [settings.Sources[0] with { IdleTimeout = IdleTimeout, MaxOutOfOrderness = TimeSpan.FromSeconds(1) }],
            AlertGroupId = "idle-confirmation",
        };
        foreach (var topic in settings.Kafka.Topics.All)
        {
            cluster.CreateTopic(topic, Partitions);
        }

        using var system = CheckpointSystems.Sqlite("idle-confirmation-spec", _checkpoints);
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        var counters = new PipelineCounters();
        var graph = new AlertGraph(system, settings, rules, counters, TimeProvider.System, NullLoggerFactory.Instance, checkpoints: new AlertCheckpointStore(system, TimeProvider.System));
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var run = graph.RunAsync(stop.Token);

        // a heartbeat read before the outage: the partition's event time is the wall clock's
        var now = DateTimeOffset.UtcNow;
        await EventTopics.ProduceAsync(settings, [("9000", EventTopics.Json("Heartbeat", 0, now, "hb-0", "9000"), 0)], cts.Token);
        await graph.WaitForCatchUpAsync(1, TimeSpan.FromMinutes(1), cts.Token);
        Assert.Equal(1, graph.Consumed);

        // Fetches fail for 6 idle timeouts; a fault pair is written at the start of it. Trusting quiet, the partition
        // would count idle after 2 s and its watermark would move on with the wall clock, 10 s past the heartbeat's
        // time less the 1 s disorder bound by the end: past the pair.
        var outage = Task.Run(
            async () =>
            {
                var until = DateTimeOffset.UtcNow + (6 * IdleTimeout);
                while (DateTimeOffset.UtcNow < until)
                {
                    cluster.PushRequestErrors(KafkaApiKey.Fetch, ErrorCode.NotLeaderForPartition, ErrorCode.NotLeaderForPartition);
                    await Task.Delay(TimeSpan.FromMilliseconds(100), cts.Token);
                }

                cluster.ClearRequestErrors(KafkaApiKey.Fetch);
            },
            cts.Token);
        await Task.Delay(TimeSpan.FromMilliseconds(300), cts.Token);
        var pair = DateTimeOffset.UtcNow;
        await EventTopics.ProduceAsync(
            settings,
            [
                ("7", EventTopics.Json("Fault", 101, pair, "pair-a", "7"), 0),
                ("7", EventTopics.Json("Fault", 102, pair.AddMilliseconds(500), "pair-b", "7"), 0),
            ],
            cts.Token);
        await outage;
        Assert.True(graph.Consumed < 3, "the outage kept the pair from being read while it lasted");

        await graph.WaitForCatchUpAsync(3, TimeSpan.FromMinutes(1), cts.Token);
        var alert = await FirstAlertAsync(settings, TimeSpan.FromMinutes(1), cts.Token);
        await stop.CancelAsync();
        await run;

        Assert.Equal(0, counters.Late);
        Assert.Empty(EventTopics.ReadMessages(settings, settings.Kafka.Topics.Late, Partitions, cts.Token));
        Assert.NotNull(alert);
        Assert.Equal(("7", "FAULT_PAIR", AlertKind.Generate), (alert.DeviceNumber, alert.AlertType, alert.Kind));
    }

    private static async Task<AlertMessage?> FirstAlertAsync(AlertingSettings settings, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTimeOffset.UtcNow + timeout;
        while (DateTimeOffset.UtcNow < deadline)
        {
            if (EventTopics.ReadAlerts(settings, Partitions, cancellationToken).FirstOrDefault() is { } alert)
            {
                return alert;
            }

            await Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken);
        }

        return null;
    }
}
