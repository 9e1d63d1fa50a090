using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.TestKit;
using Confluent.Kafka;
using Microsoft.Data.Sqlite;
using Config = Akka.Configuration.Config;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// The dispatcher across restarts and passivation, on one SQLite journal and the embedded broker: a held alert is
/// dispatched by the next incarnation, committed input is not processed again, an idle entity leaves memory and comes
/// back with its state.
/// </summary>
public sealed class ShardedDispatcherRestartSpec(EmbeddedKafkaFixture kafka) : IClassFixture<EmbeddedKafkaFixture>, IDisposable
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(90);
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"alerting-restart-{Guid.NewGuid():N}.db");

    private Config NodeConfig => DispatcherNode.Config(
        DispatchPersistence.Hocon(DispatchPersistenceProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = _path }.ConnectionString));

    private DispatchSettings Settings(string prefix) => new()
    {
        BootstrapServers = kafka.BootstrapServers,
        GroupId = EmbeddedKafkaFixture.NewGroupId(prefix),
        AlertsTopic = kafka.CreateTopic(prefix + "-alerts", 2),
        WorkOrdersTopic = kafka.CreateTopic(prefix + "-work-orders", 2),
        DispatchTopic = kafka.CreateTopic(prefix + "-dispatch", 1),
        DefaultDelay = TimeSpan.FromSeconds(15),
        SessionTimeout = KafkaTestClients.SessionTimeout,
        HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
        SnapshotEvery = 3,
    };

    private Task ProduceAsync(string topic, params AlertMessage[] alerts) =>
        kafka.ProduceAsync(topic, alerts.Select(a => new Message<string, string> { Key = a.DeviceNumber, Value = DispatchJson.Write(a) }), CancellationToken.None);

    private async Task<List<DispatchMessage>> DispatchedAsync(DispatchSettings settings, int count) =>
        [.. (await kafka.ReadAsync(settings.DispatchTopic, count, Wait, CancellationToken.None)).Select(r => DispatchJson.ParseDispatch(r.Message.Value)!)];

    [Fact]
    public async Task A_held_alert_is_dispatched_by_the_next_incarnation_and_committed_input_is_not_processed_again()
    {
        var settings = Settings("restart");
        var (d1, d2) = (settings.GroupId + "-d1", settings.GroupId + "-d2");
        await ProduceAsync(settings.AlertsTopic, Alerts.Generate(d1, "held", "OVERHEAT", 1, null, []), Alerts.Generate(d2, "now", "JAM", 1, 0, []));

        await using (var first = await DispatcherNode.StartAsync(NodeConfig, settings))
        {
            var counters = first.Dispatcher.Counters;
            await Eventually.TrueAsync(() => counters is { Held: 1, Dispatched: 1, Acknowledged: 1 }, Wait, () => Describe(first));
            await first.StopAsync();
            Assert.Equal(1, counters.Dispatched); // stopped well before the held alert's delay ended
        }

        await using var second = await DispatcherNode.StartAsync(NodeConfig, settings);
        // Nobody sends d1 a record: its remembered entity is started with its shard, recovers and re-arms the delay.
        await Eventually.TrueAsync(() => second.Dispatcher.Counters is { Dispatched: 1, Acknowledged: 1 }, Wait, () => Describe(second));
        Assert.Equal(0, second.Dispatcher.Counters.Received);

        var sent = await DispatchedAsync(settings, 2);
        Assert.Equal(["held", "now"], sent.Select(m => m.AlertId).Order(StringComparer.Ordinal));
        Assert.Equal(DispatchIds.For(DispatchKind.Dispatch, d1, "held"), sent.Single(m => m.AlertId == "held").DispatchId);

        // A record sent again after the committed offset is recognised by the recovered entity: nothing is produced.
        await ProduceAsync(settings.AlertsTopic, Alerts.Generate(d2, "now", "JAM", 1, 0, []));
        await Eventually.TrueAsync(() => second.Dispatcher.Counters.Received == 1, Wait, () => Describe(second));
        Assert.Equal(1, second.Dispatcher.Counters.Dropped(DropReason.Duplicate));
        Assert.Equal(1, second.Dispatcher.Counters.Produced);
        await second.StopAsync();
    }

    [Fact]
    public async Task An_idle_entity_is_passivated_and_comes_back_with_its_state_on_its_next_record()
    {
        var settings = Settings("passivate") with { PassivateAfter = TimeSpan.FromSeconds(1) };
        var device = settings.GroupId + "-d1";
        await using var node = await DispatcherNode.StartAsync(NodeConfig, settings);
        await ProduceAsync(settings.AlertsTopic, Alerts.Generate(device, "a1", "JAM", 1, 0, []));
        await Eventually.TrueAsync(() => node.Dispatcher.Counters is { Dispatched: 1, Acknowledged: 1 }, Wait, () => Describe(node));

        await Eventually.TrueAsync(() => Entities(node).Count == 0, Wait, () => "entities: " + string.Join(',', Entities(node)));
        await ProduceAsync(settings.AlertsTopic, Alerts.Generate(device, "a2", "JAM", 1, 0, []), Alerts.Revoke(device, "a1"));

        await Eventually.TrueAsync(() => node.Dispatcher.Counters.Revoked == 1, Wait, () => Describe(node));
        Assert.Equal(1, node.Dispatcher.Counters.Dropped(DropReason.AlreadyOpen)); // a1 was still open after the reload
        await node.StopAsync();
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }

    private static List<string> Entities(DispatcherNode node)
    {
        var state = node.Dispatcher.Region.Ask<CurrentShardRegionState>(GetShardRegionState.Instance, TimeSpan.FromSeconds(10)).GetAwaiter().GetResult();
        return [.. state.Shards.SelectMany(s => s.EntityIds)];
    }

    private static string Describe(DispatcherNode node) =>
        string.Join(' ', node.Dispatcher.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"));
}
