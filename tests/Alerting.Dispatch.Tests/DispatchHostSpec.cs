using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.Persistence.Postgres;
using Alerting.TestKit;
using Alerting.TestKit.Time;
using Confluent.Kafka;

namespace Alerting.Dispatch.Tests;

/// <summary>One dispatcher instance over the embedded broker and PostgreSQL, with a manual clock.</summary>
public sealed class DispatchHostSpec(EmbeddedKafkaFixture kafka, PostgresFixture postgres)
    : IClassFixture<EmbeddedKafkaFixture>, IClassFixture<PostgresFixture>
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);

    private DispatchSettings Settings(string prefix) => new()
    {
        BootstrapServers = kafka.BootstrapServers,
        GroupId = EmbeddedKafkaFixture.NewGroupId(prefix),
        AlertsTopic = kafka.CreateTopic(prefix + "-alerts", 2),
        WorkOrdersTopic = kafka.CreateTopic(prefix + "-work-orders", 2),
        DispatchTopic = kafka.CreateTopic(prefix + "-dispatch", 1),
        DefaultDelay = TimeSpan.FromMinutes(1),
        SessionTimeout = KafkaTestClients.SessionTimeout,
        HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
        SnapshotEvery = 3,
    };

    private Task ProduceAsync(string topic, params (string Key, string Value)[] records) =>
        kafka.ProduceAsync(topic, records.Select(r => new Message<string, string> { Key = r.Key, Value = r.Value }), CancellationToken.None);

    private static (string, string) AlertRecord(AlertMessage m) => (m.DeviceNumber, DispatchJson.Write(m));

    private static (string, string) WorkOrder(string device, string alertId, WorkOrderStatus status) =>
        (device, DispatchJson.Write(new WorkOrderMessage(device, alertId, status)));

    private async Task<List<DispatchMessage>> DispatchedAsync(DispatchSettings settings, int count) =>
        [.. (await kafka.ReadAsync(settings.DispatchTopic, count, Wait, CancellationToken.None)).Select(r => DispatchJson.ParseDispatch(r.Message.Value)!)];

    [Fact]
    public async Task A_held_alert_must_be_dispatched_by_the_next_owner_after_a_restart()
    {
        var settings = Settings("restart");
        var (d1, d2) = (settings.GroupId + "-d1", settings.GroupId + "-d2");
        var clock = new ManualTimeProvider();
        var store = new PostgresEventStore(postgres.DataSource);
        await ProduceAsync(settings.AlertsTopic,
            AlertRecord(Alerts.Generate(d1, "held", "OVERHEAT", 1, null, [])),
            AlertRecord(Alerts.Generate(d2, "now", "JAM", 1, 0, [])));

        await using (var first = new DispatchHost(settings, store, clock))
        {
            first.Start();
            await Eventually.TrueAsync(() => first.Counters is { Held: 1, Dispatched: 1, Acknowledged: 1 }, Wait, () => Describe(first));
            await first.StopAsync(CancellationToken.None);
            Assert.Empty(first.OwnedPartitions);
        }

        await using var second = new DispatchHost(settings, store, clock);
        second.Start();
        await Eventually.TrueAsync(() => second.OwnedPartitions.Count == 2, Wait, () => Describe(second));
        Assert.Equal(0, second.Counters.Dispatched);
        Assert.Equal(0, second.Counters.Received);

        clock.Advance(TimeSpan.FromMinutes(1));
        await Eventually.TrueAsync(() => second.Counters is { Dispatched: 1, Acknowledged: 1 }, Wait, () => Describe(second));

        var sent = await DispatchedAsync(settings, 2);
        Assert.Equal(["held", "now"], sent.Select(m => m.AlertId).Order(StringComparer.Ordinal));
        var held = sent.Single(m => m.AlertId == "held");
        Assert.Equal(DispatchIds.For(DispatchKind.Dispatch, d1, "held"), held.DispatchId);
        Assert.Equal(new ManualTimeProvider().GetUtcNow() + TimeSpan.FromMinutes(1), held.Time);
        Assert.Equal(0, second.Counters.Produced - second.Counters.Dispatched);
    }

    [Fact]
    public async Task A_revoke_must_follow_the_work_order_topic_and_restarts_must_not_repeat_input()
    {
        var settings = Settings("work-orders");
        var d1 = settings.GroupId + "-d1";
        var clock = new ManualTimeProvider();
        var store = new PostgresEventStore(postgres.DataSource);
        await using var host = new DispatchHost(settings, store, clock);
        host.Start();

        await ProduceAsync(settings.AlertsTopic,
            AlertRecord(Alerts.Generate(d1, "closed", "OVERHEAT", 1, 0, [])),
            AlertRecord(Alerts.Generate(d1, "open", "JAM", 1, 0, [])),
            AlertRecord(Alerts.Generate(d1, "repeat", "JAM", 1, 0, [])));
        await Eventually.TrueAsync(() => host.Counters.Dispatched == 2 && host.Counters.Dropped(DropReason.AlreadyOpen) == 1, Wait, () => Describe(host));

        await ProduceAsync(settings.WorkOrdersTopic,
            WorkOrder(d1, "closed", WorkOrderStatus.Opened),
            WorkOrder(d1, "closed", WorkOrderStatus.Closed),
            WorkOrder(d1, "open", WorkOrderStatus.Opened));
        await Eventually.TrueAsync(() => host.Counters.Received == 6, Wait, () => Describe(host));

        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Revoke(d1, "closed")), AlertRecord(Alerts.Revoke(d1, "open")));
        await Eventually.TrueAsync(() => host.Counters.Revoked == 1 && host.Counters.Dropped(DropReason.RevokeNotOpen) == 1, Wait, () => Describe(host));
        await host.StopAsync(CancellationToken.None);

        var sent = await DispatchedAsync(settings, 3);
        Assert.Equal(["closed", "open"], sent.Where(m => m.Kind == DispatchKind.Dispatch).Select(m => m.AlertId).Order(StringComparer.Ordinal));
        Assert.Equal("open", Assert.Single(sent, m => m.Kind == DispatchKind.Revoke).AlertId);

        // A new owner resumes after the stored offsets: nothing is processed or sent again; d1 comes back from its snapshot and later events.
        await using var next = new DispatchHost(settings, store, clock);
        next.Start();
        await Eventually.TrueAsync(() => next.OwnedPartitions.Count == 2, Wait, () => Describe(next));
        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Generate(d1, "open", "JAM", 1, 0, [])));
        await Eventually.TrueAsync(() => next.Counters.Received == 1, Wait, () => Describe(next));
        Assert.Equal(1, next.Counters.Dropped(DropReason.Duplicate));
        Assert.Equal(0, next.Counters.Produced);
        Assert.True(host.Counters.Snapshots > 0);
        Assert.Equal(1, next.Counters.Recovered);
    }

    [Fact]
    public async Task A_stale_owner_must_be_fenced_by_the_journal_and_stop()
    {
        var settings = Settings("fenced");
        var device = settings.GroupId + "-d1";
        var store = new PostgresEventStore(postgres.DataSource);
        await using var host = new DispatchHost(settings, store, new ManualTimeProvider());
        host.Start();
        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Generate(device, "a1", "JAM", 1, 0, [])));
        var persistenceId = "dispatch-device-" + device;
        await Eventually.TrueAsync(() => store.ReadHighestSequenceNrAsync(persistenceId, CancellationToken.None).GetAwaiter().GetResult() == 2,
            Wait, () => Describe(host));

        // Another owner of the device's partition appends its next event first.
        var write = DeviceEventSerialization.Create().ToJournalWrite(persistenceId, "elsewhere", 3, new WorkOrderOpened("a1"));
        await store.WriteAsync([write], [], CancellationToken.None);
        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Revoke(device, "a1")));

        await host.Completion.WaitAsync(Wait);
        Assert.True(host.IsFenced);
        Assert.Equal(1, host.Counters.Fenced);
        Assert.Empty(host.OwnedPartitions);
        Assert.Equal(3, await store.ReadHighestSequenceNrAsync(persistenceId, CancellationToken.None));
        Assert.Equal(1, host.Counters.Produced); // the revoke decided by the stale owner was never sent
    }

    [Fact]
    public async Task An_idle_entity_must_be_passivated_and_reloaded_with_its_state_on_demand()
    {
        var settings = Settings("passivate") with { PassivateAfter = TimeSpan.FromMinutes(1) };
        var device = settings.GroupId + "-d1";
        var clock = new ManualTimeProvider();
        await using var host = new DispatchHost(settings, new PostgresEventStore(postgres.DataSource), clock);
        host.Start();
        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Generate(device, "a1", "JAM", 1, 0, [])));
        await Eventually.TrueAsync(() => host.Counters is { Dispatched: 1, Acknowledged: 1, JournalEvents: 2 }, Wait, () => Describe(host));
        Assert.Equal(0, host.Counters.Passivated);

        clock.Advance(TimeSpan.FromMinutes(2));
        await Eventually.TrueAsync(() => host.Counters.Passivated == 1, Wait, () => Describe(host));
        await ProduceAsync(settings.AlertsTopic,
            AlertRecord(Alerts.Generate(device, "a2", "JAM", 1, 0, [])),
            AlertRecord(Alerts.Revoke(device, "a1")));

        await Eventually.TrueAsync(() => host.Counters.Revoked == 1, Wait, () => Describe(host));
        Assert.Equal(1, host.Counters.Reloaded);
        Assert.Equal(1, host.Counters.Dropped(DropReason.AlreadyOpen));
    }

    [Fact]
    public async Task A_malformed_alert_or_work_order_must_go_to_the_dead_letter_topic_with_the_reason_and_not_stop_the_dispatcher()
    {
        var settings = Settings("malformed") with { DefaultDelay = TimeSpan.Zero };
        settings = settings with { DeadLetterTopic = kafka.CreateTopic("malformed-dead-letter", 1) };
        var device = settings.GroupId + "-d";
        var store = new PostgresEventStore(postgres.DataSource);
        await ProduceAsync(settings.AlertsTopic, (device, "{\"not\": \"an alert\"}"), AlertRecord(Alerts.Generate(device, "a1", "JAM", 1, 0, [])));
        await ProduceAsync(settings.WorkOrdersTopic, (device, "opened?"));

        await using (var host = new DispatchHost(settings, store, new ManualTimeProvider()))
        {
            host.Start();
            await Eventually.TrueAsync(() => host.Counters is { DeadLettered: 2, Dispatched: 1 }, Wait, () => Describe(host));
            Assert.Equal(2, host.Counters.Malformed);
            await host.StopAsync(CancellationToken.None);
        }

        var dead = await kafka.ReadAsync(settings.DeadLetterTopic, 2, Wait, CancellationToken.None);
        var alert = Assert.Single(dead, r => r.Message.Value == "{\"not\": \"an alert\"}");
        Assert.Equal(device, alert.Message.Key);
        Assert.Equal("malformed_alert", Header(alert, "alerting-reason"));
        Assert.Equal(settings.AlertsTopic, Header(alert, "alerting-source-topic"));
        var workOrder = Assert.Single(dead, r => r.Message.Value == "opened?");
        Assert.Equal("malformed_work_order", Header(workOrder, "alerting-reason"));
        Assert.Equal(settings.WorkOrdersTopic, Header(workOrder, "alerting-source-topic"));

        // the stored offsets are past them: a restart does not send them again
        await using var next = new DispatchHost(settings, store, new ManualTimeProvider());
        next.Start();
        await Eventually.TrueAsync(() => next.OwnedPartitions.Count == 2, Wait, () => Describe(next));
        await ProduceAsync(settings.AlertsTopic, AlertRecord(Alerts.Generate(device, "a2", "OVERHEAT", 1, 0, [])));
        await Eventually.TrueAsync(() => next.Counters is { Dispatched: 1 }, Wait, () => Describe(next));
        Assert.Equal(0, next.Counters.DeadLettered);
    }

    private static string? Header(ConsumeResult<string, string> record, string name) =>
        record.Message.Headers.TryGetLastBytes(name, out var value) ? System.Text.Encoding.UTF8.GetString(value) : null;

    private static string Describe(DispatchHost host) =>
        $"owned [{string.Join(',', host.OwnedPartitions)}], " + string.Join(", ", host.Counters.Snapshot().Where(kv => kv.Value != 0).Select(kv => $"{kv.Key}={kv.Value}"));
}
