using System.Globalization;
using System.Text;
using Akka.Cluster;
using Akka.Configuration;
using Config = Akka.Configuration.Config;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Sharding;
using Alerting.Events;
using Alerting.TestKit;
using Confluent.Kafka;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// One node that joined itself, the device shard region on an SQLite journal, and the embedded broker: alerts and
/// work orders go through the region, dispatches come out on the dispatch topic with their deterministic ids, bad
/// records go to the dead-letter topic with their reason, and offsets are committed up to the end.
/// </summary>
public sealed class ShardedDispatcherSpec : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 4;
    private readonly EmbeddedKafkaFixture _kafka;
    private readonly ITestOutputHelper _output;

    public ShardedDispatcherSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
        : base(CreateConfig(), output: output)
    {
        _kafka = kafka;
        _output = output;
    }

    private static Config CreateConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerting-sharded-{Guid.NewGuid():N}.db");
        return ConfigurationFactory.ParseString("""
                akka.loglevel = WARNING
                akka.actor.provider = cluster
                akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
                akka.cluster.sharding.state-store-mode = ddata
                akka.kafka.committer.max-interval = 200ms
                alerting.dispatch.sharding.restart.min-backoff = 200ms
                """)
            .WithFallback(DispatchPersistence.Hocon(DispatchPersistenceProvider.Sqlite, new SqliteConnectionStringBuilder { DataSource = path }.ConnectionString));
    }

    [Fact]
    public async Task Records_reach_their_entities_through_the_region_dispatches_are_produced_bad_records_dead_lettered_and_offsets_committed()
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(20));

        var settings = new DispatchSettings
        {
            BootstrapServers = _kafka.BootstrapServers,
            GroupId = EmbeddedKafkaFixture.NewGroupId("sharded"),
            AlertsTopic = _kafka.CreateTopic("sharded-alerts", Partitions),
            WorkOrdersTopic = _kafka.CreateTopic("sharded-work-orders", Partitions),
            DispatchTopic = _kafka.CreateTopic("sharded-dispatch", Partitions),
            DeadLetterTopic = _kafka.CreateTopic("sharded-dead-letter", 1),
            DefaultDelay = TimeSpan.FromMilliseconds(300),
            SessionTimeout = KafkaTestClients.SessionTimeout,
            HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
            SnapshotEvery = 3,
        };
        var sharding = DispatchShardingSettings.Create(Sys.Settings.Config);
        var dispatcher = await ShardedDispatcher.StartAsync(Sys, settings, sharding, NullLogger.Instance);
        Assert.Equal(Partitions, dispatcher.Partitions);

        // Phase 1: one alert per device (every third held for the default delay), and four records that cannot be taken.
        var devices = Enumerable.Range(0, 40).Select(i => string.Create(CultureInfo.InvariantCulture, $"press-{i}")).ToList();
        var alerts = devices.Select((d, i) => Alert(Alerts.Generate(d, "a-" + d, "OVERHEAT", 1, i % 3 == 0 ? null : 0, []))).ToList();
        var longId = new string('x', 257);
        alerts.Add(Alert(Alerts.Generate(longId, "a-long", "OVERHEAT", 1, 0, [])));
        alerts.Add(Alert(Alerts.Generate("press-0", "a-late", "OVERHEAT", 1, (long)TimeSpan.FromDays(2).TotalMilliseconds, [])));
        alerts.Add(new Message<string, string> { Key = "press-1", Value = "{not json" });
        await _kafka.ProduceAsync(settings.AlertsTopic, alerts, CancellationToken.None);
        await _kafka.ProduceAsync(settings.WorkOrdersTopic, [new Message<string, string> { Key = "press-2", Value = "[]" }], CancellationToken.None);

        var expected = devices.ToDictionary(d => DispatchIds.For(DispatchKind.Dispatch, d, "a-" + d), d => d);
        var dispatches = await ReadDispatchesAsync(settings.DispatchTopic, expected.Count);
        Assert.Equal(expected.Keys.Order(), dispatches.Select(d => d.DispatchId).Order());
        Assert.All(dispatches, d => Assert.Equal(expected[d.DispatchId], d.DeviceId));

        var dead = await _kafka.ReadAsync(settings.DeadLetterTopic, 4, TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(
            [DispatchRecords.DelayOutOfRange, DispatchRecords.DeviceIdTooLong, DispatchRecords.MalformedAlert, DispatchRecords.MalformedWorkOrder],
            dead.Select(r => Header(r, DeadLetterHeaders.Reason)).Order(StringComparer.Ordinal));
        Assert.Contains(dead, r => r.Message.Value == "{not json" && Header(r, DeadLetterHeaders.SourceTopic) == settings.AlertsTopic);

        // Phase 2: press-3's work order is closed, so its revoke is not sent; press-4's revoke is.
        await _kafka.ProduceAsync(settings.WorkOrdersTopic,
            [WorkOrder(new WorkOrderMessage("press-3", "a-press-3", WorkOrderStatus.Closed))], CancellationToken.None);
        await Eventually.TrueAsync(() => dispatcher.Counters.Received == alerts.Count + 2, TimeSpan.FromSeconds(60), () => Describe(dispatcher));
        await _kafka.ProduceAsync(settings.AlertsTopic,
            [Alert(Alerts.Revoke("press-3", "a-press-3")), Alert(Alerts.Revoke("press-4", "a-press-4"))], CancellationToken.None);

        var all = await ReadDispatchesAsync(settings.DispatchTopic, expected.Count + 1);
        var revoke = Assert.Single(all, d => d.Kind == DispatchKind.Revoke);
        Assert.Equal(DispatchIds.For(DispatchKind.Revoke, "press-4", "a-press-4"), revoke.DispatchId);
        await Eventually.TrueAsync(() => dispatcher.Counters.Dropped(DropReason.RevokeNotOpen) == 1, TimeSpan.FromSeconds(60), () => Describe(dispatcher));

        // Every offset is committed once its entity persisted (or its dead letter was written).
        await Eventually.TrueAsync(() => Uncommitted(settings) == 0, TimeSpan.FromSeconds(60), () => $"uncommitted: {Uncommitted(settings)}; {Describe(dispatcher)}");
        Assert.Equal(expected.Count, dispatcher.Counters.Dispatched);
        Assert.Equal(1, dispatcher.Counters.Revoked);
        Assert.Equal(4, dispatcher.Counters.DeadLettered);
        _output.WriteLine(Describe(dispatcher));

        await dispatcher.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(dispatcher.Completion.IsCompletedSuccessfully);
    }

    private static Message<string, string> Alert(AlertMessage alert) => new() { Key = alert.DeviceNumber, Value = DispatchJson.Write(alert) };

    private static Message<string, string> WorkOrder(WorkOrderMessage order) => new() { Key = order.DeviceId, Value = DispatchJson.Write(order) };

    private static string? Header(ConsumeResult<string, string> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;

    private async Task<List<DispatchMessage>> ReadDispatchesAsync(string topic, int count)
    {
        var records = await _kafka.ReadAsync(topic, count, TimeSpan.FromSeconds(60), CancellationToken.None);
        return records.Select(r => DispatchJson.ParseDispatch(r.Message.Value) ?? throw new InvalidOperationException("unreadable dispatch")).ToList();
    }

    /// <summary>Records of the alerts and work-order topics past the group's committed offsets.</summary>
    private long Uncommitted(DispatchSettings settings)
    {
        using var consumer = _kafka.CreateConsumer(settings.GroupId);
        var partitions = new[] { settings.AlertsTopic, settings.WorkOrdersTopic }
            .SelectMany(t => Enumerable.Range(0, Partitions).Select(p => new TopicPartition(t, p))).ToList();
        var committed = consumer.Committed(partitions, TimeSpan.FromSeconds(10));
        long behind = 0;
        foreach (var c in committed)
        {
            var high = consumer.QueryWatermarkOffsets(c.TopicPartition, TimeSpan.FromSeconds(10)).High.Value;
            behind += high - Math.Max(0, c.Offset.Value);
        }
        return behind;
    }

    private static string Describe(ShardedDispatcher dispatcher) =>
        string.Join(' ', dispatcher.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"));
}
