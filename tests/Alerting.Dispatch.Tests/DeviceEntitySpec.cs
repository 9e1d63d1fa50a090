using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.TestKit.Time;

namespace Alerting.Dispatch.Tests;

/// <summary>The dispatcher's per-device rules, on the pure state machine with a manual clock.</summary>
public sealed class DeviceEntitySpec
{
    private static readonly TimeSpan DefaultDelay = TimeSpan.FromSeconds(30);

    private readonly ManualTimeProvider _clock = new();
    private readonly DeviceEntityState _state = new("press-1");

    private Decision Send(IDeviceCommand command) => _state.Handle(command, _clock.GetUtcNow(), DefaultDelay);

    private Decision Generate(string id, string type, int priority = 1, long? delayMs = 1000, params string[] overrides) =>
        Send(new AlertCommand(Alerts.Generate("press-1", id, type, priority, delayMs, overrides)));

    private Decision Revoke(string id) => Send(new AlertCommand(Alerts.Revoke("press-1", id)));

    private Decision Tick(TimeSpan by)
    {
        _clock.Advance(by);
        return Send(DelayElapsed.Instance);
    }

    private List<string> Outbox(DispatchKind kind) => [.. _state.Outbox.Where(m => m.Kind == kind).Select(m => m.AlertId)];

    [Fact]
    public void A_generate_must_wait_its_delay_before_it_is_dispatched()
    {
        Assert.IsType<AlertHeld>(Assert.Single(Generate("a1", "OVERHEAT", delayMs: 5000).Events));
        Assert.Empty(Tick(TimeSpan.FromMilliseconds(4999)).Events);
        Assert.Empty(_state.Outbox);

        var dispatched = Assert.IsType<AlertDispatched>(Assert.Single(Tick(TimeSpan.FromMilliseconds(1)).Events));
        Assert.Equal("a1", dispatched.Alert.AlertId);
        var message = Assert.Single(_state.Outbox);
        Assert.Equal(DispatchKind.Dispatch, message.Kind);
        Assert.Equal(DispatchIds.For(DispatchKind.Dispatch, "press-1", "a1"), message.DispatchId);
        Assert.Equal(_clock.GetUtcNow(), message.Time);
        Assert.True(_state.Open.ContainsKey("a1"));
    }

    [Fact]
    public void A_generate_without_a_delay_must_wait_the_default_delay_and_one_with_zero_delay_must_go_at_once()
    {
        var held = Assert.IsType<AlertHeld>(Assert.Single(Generate("a1", "OVERHEAT", delayMs: null).Events));
        Assert.Equal(_clock.GetUtcNow() + DefaultDelay, held.DueAt);
        Assert.Empty(Tick(DefaultDelay - TimeSpan.FromTicks(1)).Events);
        Assert.IsType<AlertDispatched>(Assert.Single(Tick(TimeSpan.FromTicks(1)).Events));

        Assert.IsType<AlertDispatched>(Assert.Single(Generate("a2", "JAM", delayMs: 0).Events));
        Assert.Equal(["a1", "a2"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_timeout_alert_must_be_held_dispatched_and_revoked_like_a_generate()
    {
        var timeout = Alerts.Generate("press-1", "t1", "ALARM_UNACKNOWLEDGED", 2, 5000, []) with { Kind = AlertKind.Timeout };
        Assert.IsType<AlertHeld>(Assert.Single(Send(new AlertCommand(timeout)).Events));
        Assert.Empty(Send(new AlertCommand(timeout)).Events); // a repeat of a held alert
        Assert.IsType<AlertDispatched>(Assert.Single(Tick(TimeSpan.FromSeconds(5)).Events));
        Assert.Equal(["t1"], Outbox(DispatchKind.Dispatch));
        Assert.IsType<AlertRevoked>(Assert.Single(Revoke("t1").Events));
    }

    [Fact]
    public void A_revoke_inside_the_delay_must_cancel_both_so_nothing_is_sent()
    {
        Generate("a1", "OVERHEAT", delayMs: 5000);
        _clock.Advance(TimeSpan.FromSeconds(4));
        Assert.IsType<AlertCancelled>(Assert.Single(Revoke("a1").Events));

        Assert.Empty(Tick(TimeSpan.FromMinutes(5)).Events);
        Assert.Empty(_state.Outbox);
        Assert.Empty(_state.Pending);
        Assert.Empty(_state.Open);
    }

    [Fact]
    public void A_revoke_after_the_delay_of_a_dispatched_alert_must_be_sent()
    {
        Generate("a1", "OVERHEAT", delayMs: 5000);
        Tick(TimeSpan.FromSeconds(5));
        var revoked = Assert.IsType<AlertRevoked>(Assert.Single(Revoke("a1").Events));

        Assert.Equal(DispatchIds.For(DispatchKind.Revoke, "press-1", "a1"), revoked.DispatchId);
        Assert.Equal(["a1"], Outbox(DispatchKind.Revoke));
        var revoke = _state.Outbox.Single(m => m.Kind == DispatchKind.Revoke);
        Assert.Equal("OVERHEAT", revoke.AlertType);
        Assert.NotEqual(_state.Outbox[0].DispatchId, revoke.DispatchId);
        Assert.Empty(_state.Open);
    }

    [Fact]
    public void A_generate_whose_type_is_open_must_be_dropped_until_the_work_order_is_closed()
    {
        Generate("a1", "OVERHEAT", delayMs: 0);

        var dropped = Assert.IsType<AlertDropped>(Assert.Single(Generate("a2", "OVERHEAT", delayMs: 0).Events));
        Assert.Equal(DropReason.AlreadyOpen, dropped.Reason);
        Assert.IsType<AlertHeld>(Assert.Single(Generate("b1", "JAM").Events));

        Assert.IsType<WorkOrderOpened>(Assert.Single(Send(new WorkOrderCommand("a1", WorkOrderStatus.Opened)).Events));
        Assert.Equal(DropReason.AlreadyOpen, Assert.IsType<AlertDropped>(Assert.Single(Generate("a3", "OVERHEAT", delayMs: 0).Events)).Reason);

        Assert.IsType<WorkOrderClosed>(Assert.Single(Send(new WorkOrderCommand("a1", WorkOrderStatus.Closed)).Events));
        Assert.IsType<AlertDispatched>(Assert.Single(Generate("a4", "OVERHEAT", delayMs: 0).Events));
        Assert.Equal(["a1", "a4"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_held_alert_must_be_dropped_when_its_type_was_dispatched_during_its_delay()
    {
        Generate("a1", "OVERHEAT", delayMs: 1000);
        Generate("a2", "OVERHEAT", delayMs: 2000);
        Generate("a3", "OVERHEAT", delayMs: 2000);

        var events = Tick(TimeSpan.FromSeconds(2)).Events;

        Assert.Equal(3, events.Count);
        Assert.Equal("a1", Assert.IsType<AlertDispatched>(events[0]).Alert.AlertId);
        Assert.All(events.Skip(1), e => Assert.Equal(DropReason.AlreadyOpen, Assert.IsType<AlertDropped>(e).Reason));
        Assert.Equal(["a1"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_generate_covered_by_an_open_alert_of_higher_priority_must_be_dropped()
    {
        Generate("high", "OVERHEAT", priority: 5, delayMs: 0, "FAN_SLOW");

        var dropped = Assert.IsType<AlertDropped>(Assert.Single(Generate("low", "FAN_SLOW", priority: 2, delayMs: 0).Events));
        Assert.Equal(DropReason.Covered, dropped.Reason);
        // Not in the overrides: sent.
        Assert.IsType<AlertDispatched>(Assert.Single(Generate("other", "JAM", priority: 2, delayMs: 0).Events));
        Assert.Equal(["high", "other"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_generate_must_not_be_covered_by_an_open_alert_of_equal_or_lower_priority()
    {
        Generate("equal", "OVERHEAT", priority: 3, delayMs: 0, "FAN_SLOW");
        Assert.IsType<AlertDispatched>(Assert.Single(Generate("same-priority", "FAN_SLOW", priority: 3, delayMs: 0).Events));

        Generate("low", "NOISE", priority: 1, delayMs: 0, "VIBRATION");
        Assert.IsType<AlertDispatched>(Assert.Single(Generate("higher", "VIBRATION", priority: 2, delayMs: 0).Events));
    }

    [Fact]
    public void A_new_higher_priority_alert_covering_open_lower_ones_must_be_sent_and_leave_them_open()
    {
        Generate("low1", "FAN_SLOW", priority: 1, delayMs: 0);
        Generate("low2", "TEMP_HIGH", priority: 2, delayMs: 0);

        Assert.IsType<AlertDispatched>(Assert.Single(Generate("high", "OVERHEAT", priority: 9, delayMs: 0, "FAN_SLOW", "TEMP_HIGH").Events));

        Assert.Equal(["high", "low1", "low2"], _state.Open.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(["low1", "low2", "high"], Outbox(DispatchKind.Dispatch));
        Assert.IsType<AlertRevoked>(Assert.Single(Revoke("low1").Events));
    }

    [Fact]
    public void A_held_alert_must_be_dropped_when_a_covering_alert_was_dispatched_during_its_delay()
    {
        Generate("low", "FAN_SLOW", priority: 1, delayMs: 10_000);
        Generate("high", "OVERHEAT", priority: 9, delayMs: 0, "FAN_SLOW");

        var dropped = Assert.IsType<AlertDropped>(Assert.Single(Tick(TimeSpan.FromSeconds(10)).Events));

        Assert.Equal(DropReason.Covered, dropped.Reason);
        Assert.Equal(["high"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_revoke_must_be_ignored_when_its_alert_was_never_dispatched()
    {
        Assert.Equal(DropReason.RevokeNotOpen, Revoke("never").Ignored);

        Generate("covered-by", "OVERHEAT", priority: 9, delayMs: 0, "FAN_SLOW");
        Generate("dropped", "FAN_SLOW", priority: 1, delayMs: 0);
        var decision = Revoke("dropped");

        Assert.Empty(decision.Events);
        Assert.Equal(DropReason.RevokeNotOpen, decision.Ignored);
        Assert.Empty(Outbox(DispatchKind.Revoke));
    }

    [Fact]
    public void A_revoke_must_be_sent_while_the_work_order_is_open_and_ignored_once_it_is_closed()
    {
        Generate("a1", "OVERHEAT", delayMs: 0);
        Generate("a2", "JAM", delayMs: 0);
        Send(new WorkOrderCommand("a1", WorkOrderStatus.Opened));
        Send(new WorkOrderCommand("a2", WorkOrderStatus.Opened));
        Send(new WorkOrderCommand("a2", WorkOrderStatus.Closed));

        Assert.IsType<AlertRevoked>(Assert.Single(Revoke("a1").Events));
        Assert.Equal(DropReason.RevokeNotOpen, Revoke("a2").Ignored);
        Assert.Equal(DropReason.RevokeNotOpen, Revoke("a1").Ignored);
        Assert.Equal(["a1"], Outbox(DispatchKind.Revoke));
    }

    [Fact]
    public void A_work_order_update_for_an_alert_that_is_not_open_must_be_ignored()
    {
        Generate("held", "OVERHEAT");
        Assert.Equal(DropReason.StaleWorkOrder, Send(new WorkOrderCommand("held", WorkOrderStatus.Closed)).Ignored);
        Assert.Equal(DropReason.StaleWorkOrder, Send(new WorkOrderCommand("unknown", WorkOrderStatus.Opened)).Ignored);
        Assert.Single(_state.Pending);
    }

    [Fact]
    public void A_repeated_alert_id_must_be_ignored_whether_held_open_or_finished()
    {
        Generate("held", "A");
        Generate("open", "B", delayMs: 0);
        Generate("cancelled", "C");
        Revoke("cancelled");

        Assert.Equal(DropReason.Duplicate, Generate("held", "A").Ignored);
        Assert.Equal(DropReason.Duplicate, Generate("open", "B", delayMs: 0).Ignored);
        Assert.Equal(DropReason.Duplicate, Generate("cancelled", "C").Ignored);
        Assert.Single(_state.Outbox);
    }

    [Fact]
    public void Only_the_last_finished_alert_ids_must_be_remembered()
    {
        for (var i = 0; i <= DeviceEntityState.FinishedCapacity; i++)
        {
            Generate("a" + i, "T" + i);
            Revoke("a" + i);
        }

        Assert.Equal(DropReason.Duplicate, Generate("a" + DeviceEntityState.FinishedCapacity, "T").Ignored);
        Assert.Equal(DeviceEntityState.FinishedCapacity, _state.ToSnapshot().Finished.Count);
        Assert.IsType<AlertHeld>(Assert.Single(Generate("a0", "T0").Events));
    }

    [Fact]
    public void An_outbox_message_must_stay_until_kafka_acknowledges_it()
    {
        Generate("a1", "A", delayMs: 0);
        Generate("a2", "B", delayMs: 0);
        var first = _state.Outbox[0].DispatchId;

        Assert.Empty(Send(new OutboxAcknowledged(["not-there"])).Events);
        var delivered = Assert.IsType<OutboxDelivered>(Assert.Single(Send(new OutboxAcknowledged([first, first, "not-there"])).Events));

        Assert.Equal([first], delivered.DispatchIds);
        Assert.Equal(["a2"], Outbox(DispatchKind.Dispatch));
    }

    [Fact]
    public void A_held_alert_must_survive_a_restart_from_the_journal_and_from_a_snapshot()
    {
        using var system = Akka.Actor.ActorSystem.Create("serialization", Alerting.Dispatch.Actors.DispatchPersistence.ReferenceConfig);
        var serializer = (Alerting.Dispatch.Serialization.DeviceEventSerializer)system.Serialization.FindSerializerForType(typeof(AlertHeld));
        var journal = new List<(string Manifest, byte[] Payload)>();
        void Persist(Decision d) => journal.AddRange(d.Events.Select(e => (serializer.Manifest(e), serializer.ToBinary(e))));

        Persist(Generate("open", "JAM", delayMs: 0));
        Persist(Generate("held", "OVERHEAT", delayMs: 60_000));
        _clock.Advance(TimeSpan.FromSeconds(20));

        var replayed = new DeviceEntityState("press-1");
        foreach (var (manifest, payload) in journal)
        {
            replayed.Apply((IDeviceEvent)serializer.FromBinary(payload, manifest));
        }
        var snapshot = replayed.ToSnapshot();
        var fromSnapshot = DeviceEntityState.FromSnapshot((DeviceSnapshot)serializer.FromBinary(serializer.ToBinary(snapshot), serializer.Manifest(snapshot)));

        foreach (var recovered in new[] { replayed, fromSnapshot })
        {
            Assert.Equal(_state.NextDueAt, recovered.NextDueAt);
            Assert.Equal(_state.Outbox, recovered.Outbox);
            Assert.Empty(recovered.Decide(DelayElapsed.Instance, _clock.GetUtcNow() + TimeSpan.FromSeconds(39), DefaultDelay).Events);
            var sent = recovered.Handle(DelayElapsed.Instance, _clock.GetUtcNow() + TimeSpan.FromSeconds(40), DefaultDelay);
            Assert.Equal("held", Assert.IsType<AlertDispatched>(Assert.Single(sent.Events)).Alert.AlertId);
            Assert.Equal(DropReason.Duplicate, recovered.Decide(new AlertCommand(Alerts.Generate("press-1", "open", "JAM", 1, 0, [])), _clock.GetUtcNow(), DefaultDelay).Ignored);
        }
    }
}
