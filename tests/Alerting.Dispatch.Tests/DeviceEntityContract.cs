using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Configuration;
using Akka.Persistence;
using Akka.TestKit;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests;

/// <summary>
/// The device entity's behaviour on a real journal and snapshot store. One subclass per database
/// (<see cref="SqliteDeviceEntitySpec"/>, <see cref="PostgresDeviceEntitySpec"/>); every test uses its own device.
/// Delays are either long (the test never waits for them) or short with generous waits: no test depends on how fast
/// the machine is, only on the order in which things happen.
/// </summary>
public abstract class DeviceEntityContract : Akka.TestKit.Xunit2.TestKit
{
    private static readonly Config TestConfig = ConfigurationFactory.ParseString("""
        akka.loglevel = WARNING
        akka.test.single-expect-default = 15s
        akka.actor.serialize-messages = off
        """);

    private readonly string _device = "press-" + Guid.NewGuid().ToString("N")[..12];

    protected DeviceEntityContract(Config persistence, ITestOutputHelper output)
        : base(TestConfig.WithFallback(persistence), output: output)
    {
        Sent = CreateTestProbe("output");
    }

    /// <summary>Receives what the entity hands over for sending.</summary>
    protected TestProbe Sent { get; }

    /// <summary>Makes every journal write fail until <see cref="RepairJournalAsync"/> (the journal table goes away).</summary>
    protected abstract Task BreakJournalAsync();

    /// <summary>Undoes <see cref="BreakJournalAsync"/>.</summary>
    protected abstract Task RepairJournalAsync();

    /// <summary>Runs a query returning one number, with the parameter <c>@pid</c> set to <paramref name="persistenceId"/>.</summary>
    protected abstract Task<long> ScalarAsync(string sql, string persistenceId);

    protected static DeviceEntitySettings Settings { get; } = DeviceEntitySettings.Default with { PassivateAfter = TimeSpan.Zero };

    private IActorRef Entity(DeviceEntitySettings? settings = null) =>
        Sys.ActorOf(DeviceEntityActor.Props(_device, Sent.Ref, settings ?? Settings));

    private AlertCommand Generate(string id, string type, long? delayMs, int priority = 1, params string[] overrides) =>
        new(Alerts.Generate(_device, id, type, priority, delayMs, overrides));

    private AlertCommand Revoke(string id) => new(Alerts.Revoke(_device, id));

    private DeviceCommandAck Ask(IActorRef entity, IDeviceCommand command)
    {
        entity.Tell(command, TestActor);
        return ExpectMsg<DeviceCommandAck>();
    }

    private string DispatchId(string alertId) => DispatchIds.For(DispatchKind.Dispatch, _device, alertId);

    [Fact]
    public void A_generate_is_held_for_its_delay_then_handed_over_with_its_dispatch_id()
    {
        var entity = Entity();
        var ack = Ask(entity, Generate("a1", "OVERHEAT", delayMs: 300));
        Assert.IsType<AlertHeld>(Assert.Single(ack.Events));

        var sent = Sent.ExpectMsg<DispatchMessage>();
        Assert.Equal(DispatchKind.Dispatch, sent.Kind);
        Assert.Equal("a1", sent.AlertId);
        Assert.Equal(DispatchId("a1"), sent.DispatchId);
        Assert.Equal(_device, sent.DeviceId);
        Assert.Equal(entity, Sent.LastSender);
    }

    [Fact]
    public void A_revoke_within_the_delay_cancels_both_and_its_timer()
    {
        var entity = Entity();
        Ask(entity, Generate("a1", "OVERHEAT", delayMs: 3_000));
        var revoked = Ask(entity, Revoke("a1"));
        Assert.IsType<AlertCancelled>(Assert.Single(revoked.Events));

        // A later alert is due after the cancelled one would have been: it is the first thing handed over.
        Ask(entity, Generate("a2", "FAN", delayMs: 4_000));
        Assert.Equal("a2", Sent.ExpectMsg<DispatchMessage>().AlertId);
        Assert.Equal(DropReason.Duplicate, Ask(entity, Generate("a1", "OVERHEAT", delayMs: 0)).Ignored);
    }

    [Fact]
    public void A_repeat_of_an_open_alert_is_dropped()
    {
        var entity = Entity();
        Assert.IsType<AlertDispatched>(Assert.Single(Ask(entity, Generate("a1", "OVERHEAT", delayMs: 0)).Events));
        Assert.Equal(DropReason.Duplicate, Ask(entity, Generate("a1", "OVERHEAT", delayMs: 0)).Ignored);
        var sameType = Assert.IsType<AlertDropped>(Assert.Single(Ask(entity, Generate("a2", "OVERHEAT", delayMs: 0)).Events));
        Assert.Equal(DropReason.AlreadyOpen, sameType.Reason);

        Assert.Equal("a1", Sent.ExpectMsg<DispatchMessage>().AlertId);
        Ask(entity, Generate("b1", "FAN", delayMs: 0));
        Assert.Equal("b1", Sent.ExpectMsg<DispatchMessage>().AlertId);
    }

    [Fact]
    public void An_alert_covered_by_an_open_alert_of_higher_priority_is_dropped()
    {
        var entity = Entity();
        Ask(entity, Generate("high", "OVERHEAT", delayMs: 0, priority: 5, "FAN"));
        var covered = Assert.IsType<AlertDropped>(Assert.Single(Ask(entity, Generate("low", "FAN", delayMs: 0, priority: 1)).Events));
        Assert.Equal(DropReason.Covered, covered.Reason);
        Assert.Equal("high", Sent.ExpectMsg<DispatchMessage>().AlertId);
    }

    [Fact]
    public void A_revoke_is_sent_only_for_a_dispatched_alert_whose_work_order_is_open()
    {
        var entity = Entity();
        Assert.Equal(DropReason.RevokeNotOpen, Ask(entity, Revoke("never")).Ignored);

        Ask(entity, Generate("a1", "OVERHEAT", delayMs: 0));
        Ask(entity, Generate("b1", "FAN", delayMs: 0));
        Assert.IsType<WorkOrderOpened>(Assert.Single(Ask(entity, new WorkOrderCommand("a1", WorkOrderStatus.Opened)).Events));
        Assert.IsType<WorkOrderClosed>(Assert.Single(Ask(entity, new WorkOrderCommand("b1", WorkOrderStatus.Closed)).Events));

        Assert.IsType<AlertRevoked>(Assert.Single(Ask(entity, Revoke("a1")).Events));
        Assert.Equal(DropReason.RevokeNotOpen, Ask(entity, Revoke("b1")).Ignored);

        var handed = Sent.ReceiveN(3).Cast<DispatchMessage>().ToList();
        Assert.Equal(["a1", "b1", "a1"], handed.Select(m => m.AlertId));
        Assert.Equal(DispatchKind.Revoke, handed[2].Kind);
        Assert.Equal(DispatchIds.For(DispatchKind.Revoke, _device, "a1"), handed[2].DispatchId);
    }

    [Fact]
    public void A_crashed_entity_recovers_and_hands_over_an_unconfirmed_dispatch_again_with_the_same_id()
    {
        var entity = Entity();
        Ask(entity, Generate("a1", "OVERHEAT", delayMs: 0));
        var first = Sent.ExpectMsg<DispatchMessage>();

        Watch(entity);
        entity.Tell(Kill.Instance); // killed without stopping cleanly
        ExpectTerminated(entity);

        var restarted = Entity(); // a new incarnation recovers from the journal
        var again = Sent.ExpectMsg<DispatchMessage>();
        Assert.Equal(first.DispatchId, again.DispatchId);
        Assert.Equal(DispatchId("a1"), again.DispatchId);
        Assert.Equal(restarted, Sent.LastSender);

        Assert.IsType<OutboxDelivered>(Assert.Single(Ask(restarted, new OutboxAcknowledged([again.DispatchId])).Events));
        Watch(restarted);
        restarted.Tell(StopDeviceEntity.Instance);
        ExpectTerminated(restarted);

        var revived = Entity();
        Assert.Equal(DropReason.Duplicate, Ask(revived, Generate("a1", "OVERHEAT", delayMs: 0)).Ignored);
        Ask(revived, Generate("b1", "FAN", delayMs: 0));
        Assert.Equal("b1", Sent.ExpectMsg<DispatchMessage>().AlertId); // a1, confirmed, is not handed again
    }

    [Fact]
    public void A_replay_of_more_finished_alerts_than_the_old_limit_of_16_is_recognised_after_recovery()
    {
        const int Count = 40;
        var entity = Entity();
        for (var i = 0; i < Count; i++)
        {
            Ask(entity, Generate("a" + i, "T" + i, delayMs: 3_600_000));
            Assert.IsType<AlertCancelled>(Assert.Single(Ask(entity, Revoke("a" + i)).Events));
        }
        Watch(entity);
        entity.Tell(Kill.Instance);
        ExpectTerminated(entity);

        var revived = Entity();
        for (var i = 0; i < Count; i++)
        {
            Assert.Equal(DropReason.Duplicate, Ask(revived, Generate("a" + i, "T" + i, delayMs: 0)).Ignored);
        }
        Ask(revived, Generate("fresh", "T0", delayMs: 0));
        Assert.Equal("fresh", Sent.ExpectMsg<DispatchMessage>().AlertId); // nothing of the replay was handed over
    }

    [Fact]
    public async Task A_snapshot_is_saved_every_N_events_and_the_state_recovers_from_it()
    {
        var settings = Settings with { SnapshotEvery = 3 };
        var entity = Entity(settings);
        for (var i = 0; i < 4; i++)
        {
            Ask(entity, Generate("a" + i, "T" + i, delayMs: 0));
        }
        Ask(entity, new WorkOrderCommand("a0", WorkOrderStatus.Closed));
        Ask(entity, new WorkOrderCommand("a1", WorkOrderStatus.Opened));

        var store = Akka.Persistence.Persistence.Instance.Apply(Sys).SnapshotStoreFor(null);
        await AwaitAssertAsync(async () =>
        {
            var loaded = await store.Ask<LoadSnapshotResult>(
                new LoadSnapshot(DeviceEntityActor.PersistenceIdOf(_device), SnapshotSelectionCriteria.Latest, long.MaxValue));
            Assert.NotNull(loaded.Snapshot);
            Assert.Equal(6, loaded.Snapshot.Metadata.SequenceNr);
        }, TimeSpan.FromSeconds(15));
        await AwaitAssertAsync(async () => Assert.Equal(0, await ScalarAsync(
            "SELECT COUNT(*) FROM device_journal WHERE persistence_id = @pid AND sequence_number <= 6 AND NOT deleted",
            DeviceEntityActor.PersistenceIdOf(_device))), TimeSpan.FromSeconds(15));

        Watch(entity);
        entity.Tell(StopDeviceEntity.Instance);
        ExpectTerminated(entity);
        Sent.ReceiveN(4);

        var revived = Entity(settings);
        Sent.ReceiveN(4); // all four still unconfirmed: handed again after recovery
        Assert.Equal(DropReason.Duplicate, Ask(revived, Generate("a0", "T0", delayMs: 0)).Ignored);
        Assert.IsType<AlertRevoked>(Assert.Single(Ask(revived, Revoke("a1")).Events));
        Assert.Equal(DropReason.RevokeNotOpen, Ask(revived, Revoke("a0")).Ignored);
    }

    [Fact]
    public void An_entity_holding_an_alert_does_not_ask_for_passivation_until_its_delay_has_fired()
    {
        var child = DeviceEntityActor.Props(_device, Sent.Ref, Settings with { PassivateAfter = TimeSpan.FromMilliseconds(200) });
        var observer = TestActor;
        var parent = Sys.ActorOf(Props.Create(() => new PassivatingParent(child, observer)));
        parent.Tell(Generate("a1", "OVERHEAT", delayMs: 1_500), TestActor);
        ExpectMsg<DeviceCommandAck>();

        Assert.Equal("a1", Sent.ExpectMsg<DispatchMessage>().AlertId);
        ExpectMsg<Passivate>(); // only once nothing is held
        ExpectMsg<PassivatingParent.ChildStopped>();
    }

    [Fact]
    public void A_pending_delay_is_rearmed_when_a_stopped_entity_recovers()
    {
        var entity = Entity();
        Ask(entity, Generate("a1", "OVERHEAT", delayMs: 1_000));
        Watch(entity);
        entity.Tell(StopDeviceEntity.Instance);
        ExpectTerminated(entity);

        Entity();
        Assert.Equal(DispatchId("a1"), Sent.ExpectMsg<DispatchMessage>().DispatchId);
    }

    [Fact]
    public async Task A_failed_journal_write_is_not_acknowledged_and_a_retry_succeeds()
    {
        var entity = Entity();
        Assert.Equal(DropReason.RevokeNotOpen, Ask(entity, Revoke("none")).Ignored); // recovered before the journal breaks

        await BreakJournalAsync();
        Watch(entity);
        entity.Tell(Generate("a1", "OVERHEAT", delayMs: 0), TestActor);
        ExpectMsg<DeviceCommandFailed>(); // never an acknowledgement
        ExpectTerminated(entity);
        await RepairJournalAsync();

        var retried = Entity();
        Assert.IsType<AlertDispatched>(Assert.Single(Ask(retried, Generate("a1", "OVERHEAT", delayMs: 0)).Events));
        Assert.Equal(DispatchId("a1"), Sent.ExpectMsg<DispatchMessage>().DispatchId);
    }

    private static readonly TimeSpan Bulk = TimeSpan.FromMinutes(1);

    [Fact]
    public void Many_entities_recovering_at_once_each_recover_their_own_events_and_snapshot()
    {
        // Enough devices that the journal and the snapshot store answer their recoveries in batches.
        const int Devices = 120;
        var settings = Settings with { SnapshotEvery = 2 };
        var devices = Enumerable.Range(0, Devices).Select(i => $"{_device}-{i}").ToList();
        var entities = new List<IActorRef>();
        foreach (var device in devices)
        {
            var entity = Sys.ActorOf(DeviceEntityActor.Props(device, Sent.Ref, settings));
            entity.Tell(new AlertCommand(Alerts.Generate(device, device + "-a", "OVERHEAT", 1, 0, [])), TestActor);
            // Every third device also has a second event, so a snapshot covers its state.
            if (devices.IndexOf(device) % 3 == 0)
            {
                entity.Tell(new AlertCommand(Alerts.Generate(device, device + "-b", "FAN", 1, 3_600_000, [])), TestActor);
            }
            entities.Add(entity);
        }
        // 120 entities recovering and writing at once through one database, while the other test projects load the
        // machine: the bulk gets a minute, not the probes' default 15 s.
        ReceiveN(Devices + (Devices + 2) / 3, Bulk);
        Sent.ReceiveN(Devices, Bulk);
        foreach (var entity in entities)
        {
            Watch(entity);
            entity.Tell(StopDeviceEntity.Instance);
            ExpectTerminated(entity);
        }

        // All of them start again at once: every one hands its own unconfirmed dispatch again, with its own id.
        var revived = devices.Select(d => Sys.ActorOf(DeviceEntityActor.Props(d, Sent.Ref, settings))).ToList();
        var again = Sent.ReceiveN(Devices, Bulk).Cast<DispatchMessage>().ToList();
        Assert.Equal(devices.Order(StringComparer.Ordinal), again.Select(m => m.DeviceId).Order(StringComparer.Ordinal));
        Assert.All(again, m => Assert.Equal(DispatchIds.For(DispatchKind.Dispatch, m.DeviceId, m.DeviceId + "-a"), m.DispatchId));
        for (var i = 0; i < Devices; i++)
        {
            var device = devices[i];
            Assert.Equal(DropReason.Duplicate, Ask(revived[i], new AlertCommand(Alerts.Generate(device, device + "-a", "OVERHEAT", 1, 0, []))).Ignored);
            var held = Ask(revived[i], new AlertCommand(Alerts.Revoke(device, device + "-b")));
            if (i % 3 == 0)
            {
                Assert.IsType<AlertCancelled>(Assert.Single(held.Events));
            }
            else
            {
                Assert.Equal(DropReason.RevokeNotOpen, held.Ignored);
            }
        }
    }

    /// <summary>Stands in for a shard: creates the entity, answers its <see cref="Passivate"/> with the stop message.</summary>
    private sealed class PassivatingParent : ReceiveActor
    {
        public sealed record ChildStopped;

        public PassivatingParent(Props child, IActorRef observer)
        {
            var entity = Context.Watch(Context.ActorOf(child, "entity"));
            Receive<Passivate>(p =>
            {
                observer.Tell(p);
                entity.Tell(p.StopMessage);
            });
            Receive<Terminated>(_ => observer.Tell(new ChildStopped()));
            ReceiveAny(m => entity.Forward(m));
        }
    }
}
