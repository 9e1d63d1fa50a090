using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests;

/// <summary>The device entity against Akka.Persistence.TestKit's journal, with write failures injected.</summary>
public sealed class DeviceEntityJournalFailureSpec : Akka.TestKit.Xunit2.TestKit
{
    private const string Device = "press-1";

    private static readonly Config TestJournalConfig = ConfigurationFactory.ParseString("""
        akka.persistence.journal.plugin = "akka.persistence.journal.test"
        akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
        akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
        akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
        akka.test.single-expect-default = 15s
        """);

    public DeviceEntityJournalFailureSpec(ITestOutputHelper output)
        : base(TestJournalConfig.WithFallback(DispatchPersistence.ReferenceConfig), nameof(DeviceEntityJournalFailureSpec), output)
    {
        Journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
    }

    private ITestJournal Journal { get; }

    private static DeviceEntitySettings Settings => DeviceEntitySettings.Default with { PassivateAfter = TimeSpan.Zero };

    private static AlertCommand Generate(string id) => new(Alerts.Generate(Device, id, "OVERHEAT", 1, 0, []));

    [Fact]
    public async Task A_command_whose_events_fail_to_persist_is_answered_with_the_failure_and_succeeds_when_retried()
    {
        var output = CreateTestProbe();
        var entity = Sys.ActorOf(DeviceEntityActor.Props(Device, output.Ref, Settings));
        Watch(entity);

        await Journal.OnWrite.Fail();
        entity.Tell(Generate("a1"), TestActor);
        var failure = await ExpectMsgAsync<DeviceCommandFailed>(); // answered with the failure, never acknowledged
        Assert.Equal((Device, false), (failure.DeviceId, failure.Rejected));
        await ExpectTerminatedAsync(entity);
        await output.ExpectNoMsgAsync(TimeSpan.Zero);

        await Journal.OnWrite.Pass();
        var retried = Sys.ActorOf(DeviceEntityActor.Props(Device, output.Ref, Settings));
        retried.Tell(Generate("a1"), TestActor);
        var ack = await ExpectMsgAsync<DeviceCommandAck>();
        Assert.IsType<AlertDispatched>(Assert.Single(ack.Events));
        Assert.Equal(DispatchIds.For(DispatchKind.Dispatch, Device, "a1"), (await output.ExpectMsgAsync<DispatchMessage>()).DispatchId);
    }

    [Fact]
    public async Task A_rejected_event_is_answered_with_the_failure_and_stops_the_entity()
    {
        var output = CreateTestProbe();
        var entity = Sys.ActorOf(DeviceEntityActor.Props(Device, output.Ref, Settings));
        Watch(entity);

        await Journal.OnWrite.Reject();
        entity.Tell(Generate("a1"), TestActor);
        Assert.True((await ExpectMsgAsync<DeviceCommandFailed>()).Rejected);
        await ExpectTerminatedAsync(entity);
        await output.ExpectNoMsgAsync(TimeSpan.Zero);
    }
}
