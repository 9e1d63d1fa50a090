using System.Globalization;
using System.Text;
using Akka.Cluster;
using Akka.Configuration;
using Akka.Persistence;
using Akka.Persistence.TestKit;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Sharding;
using Alerting.Events;
using Alerting.TestKit;
using Confluent.Kafka;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit.Abstractions;
using Config = Akka.Configuration.Config;

namespace Alerting.Dispatch.Tests.Sharding;

/// <summary>
/// The delivery of one self-joined node over Akka.Persistence.TestKit's journal, with the device entities' journal
/// writes failing for a while: each failed command is answered with the failure, sent again after a backoff, and
/// every alert is still dispatched once the journal writes again.
/// </summary>
public sealed class ShardedDispatcherJournalFailureSpec : Akka.TestKit.Xunit2.TestKit, IClassFixture<EmbeddedKafkaFixture>
{
    private const int Partitions = 2;
    private const int FailedWrites = 4;
    private readonly EmbeddedKafkaFixture _kafka;

    public ShardedDispatcherJournalFailureSpec(EmbeddedKafkaFixture kafka, ITestOutputHelper output)
        : base(CreateConfig(), output: output)
    {
        _kafka = kafka;
    }

    private static Config CreateConfig() => ConfigurationFactory.ParseString("""
            akka.loglevel = WARNING
            akka.actor.provider = cluster
            akka.remote.dot-netty.tcp { hostname = 127.0.0.1, port = 0 }
            akka.cluster.sharding.state-store-mode = ddata
            akka.kafka.committer.max-interval = 200ms
            akka.persistence.journal.plugin = "akka.persistence.journal.test"
            akka.persistence.journal.test.class = "Akka.Persistence.TestKit.TestJournal, Akka.Persistence.TestKit"
            akka.persistence.snapshot-store.plugin = "akka.persistence.snapshot-store.test"
            akka.persistence.snapshot-store.test.class = "Akka.Persistence.TestKit.TestSnapshotStore, Akka.Persistence.TestKit"
            alerting.dispatch.sharding.restart.min-backoff = 200ms
            alerting.dispatch.sharding.ask-timeout = 10s
            alerting.dispatch.sharding.retry { min-backoff = 50ms, max-backoff = 200ms, max-attempts = 20 }
            """).WithFallback(DispatchPersistence.ReferenceConfig);

    [Fact]
    public async Task Commands_whose_journal_writes_fail_are_retried_with_backoff_until_every_alert_is_dispatched()
    {
        var failing = new FailingDeviceWrites(FailedWrites);
        var settings = Settings("journal-failure");
        var dispatcher = await StartAsync(failing, settings);

        var devices = Enumerable.Range(0, 6).Select(i => string.Create(CultureInfo.InvariantCulture, $"press-{i}")).ToList();
        await _kafka.ProduceAsync(settings.AlertsTopic,
            [.. devices.Select(d => new Message<string, string> { Key = d, Value = DispatchJson.Write(Alerts.Generate(d, "a-" + d, "OVERHEAT", 1, 0, [])) })],
            CancellationToken.None);

        var records = await _kafka.ReadAsync(settings.DispatchTopic, devices.Count, TimeSpan.FromSeconds(90), CancellationToken.None);
        var dispatched = records.Select(r => DispatchJson.ParseDispatch(r.Message.Value)!.DispatchId).Distinct().Order().ToList();
        Assert.Equal(devices.Select(d => DispatchIds.For(DispatchKind.Dispatch, d, "a-" + d)).Order(), dispatched);
        Assert.Equal(FailedWrites, failing.Failed);
        // Each failed write failed a command that was then sent again (an output acknowledgement's failed write is
        // not a delivery command: the entity hands its outbox again when it recovers).
        await Eventually.TrueAsync(() => dispatcher.Counters.Retried >= 1, TimeSpan.FromSeconds(30), () => $"retried={dispatcher.Counters.Retried}");
        Assert.True(dispatcher.Completion.IsCompleted is false, "the delivery gave up");

        await dispatcher.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(dispatcher.Completion.IsCompletedSuccessfully);
    }

    [Fact]
    public async Task A_command_whose_events_the_journal_rejects_goes_to_the_dead_letter_topic_and_the_others_are_dispatched()
    {
        var settings = Settings("journal-rejection") with { DeadLetterTopic = _kafka.CreateTopic("journal-rejection-dead-letter", 1) };
        var dispatcher = await StartAsync(new RejectedDevice(DeviceEntityActor.PersistenceIdOf("press-poison")), settings);

        var devices = new[] { "press-0", "press-poison", "press-1", "press-2" };
        await _kafka.ProduceAsync(settings.AlertsTopic,
            [.. devices.Select(d => new Message<string, string> { Key = d, Value = DispatchJson.Write(Alerts.Generate(d, "a-" + d, "OVERHEAT", 1, 0, [])) })],
            CancellationToken.None);

        var dead = Assert.Single(await _kafka.ReadAsync(settings.DeadLetterTopic, 1, TimeSpan.FromSeconds(60), CancellationToken.None));
        Assert.Equal(DispatchRecords.PersistRejected, Encoding.UTF8.GetString(dead.Message.Headers.GetLastBytes(DeadLetterHeaders.Reason)));
        Assert.Equal("press-poison", dead.Message.Key);
        var records = await _kafka.ReadAsync(settings.DispatchTopic, 3, TimeSpan.FromSeconds(60), CancellationToken.None);
        Assert.Equal(
            devices.Where(d => d != "press-poison").Select(d => DispatchIds.For(DispatchKind.Dispatch, d, "a-" + d)).Order(),
            records.Select(r => DispatchJson.ParseDispatch(r.Message.Value)!.DispatchId).Distinct().Order());
        Assert.Equal(0, dispatcher.Counters.Retried);
        Assert.False(dispatcher.Completion.IsCompleted, "the delivery stopped");

        await dispatcher.StopAsync(TimeSpan.FromSeconds(10));
        Assert.True(dispatcher.Completion.IsCompletedSuccessfully);
    }

    /// <summary>Joins the node to itself, puts <paramref name="writes"/> in front of the journal's writes and starts the dispatcher.</summary>
    private async Task<ShardedDispatcher> StartAsync(IJournalInterceptor writes, DispatchSettings settings)
    {
        var cluster = Cluster.Get(Sys);
        cluster.Join(cluster.SelfAddress);
        AwaitCondition(() => cluster.SelfMember.Status == MemberStatus.Up, TimeSpan.FromSeconds(20));
        var journal = TestJournal.FromRef(Akka.Persistence.Persistence.Instance.Apply(Sys).JournalFor(null));
        await journal.OnWrite.SetInterceptorAsync(writes);
        return await ShardedDispatcher.StartAsync(Sys, settings, DispatchShardingSettings.Create(Sys.Settings.Config), NullLogger.Instance);
    }

    private DispatchSettings Settings(string prefix) => new()
    {
        BootstrapServers = _kafka.BootstrapServers,
        GroupId = EmbeddedKafkaFixture.NewGroupId(prefix),
        AlertsTopic = _kafka.CreateTopic(prefix + "-alerts", Partitions),
        WorkOrdersTopic = _kafka.CreateTopic(prefix + "-work-orders", Partitions),
        DispatchTopic = _kafka.CreateTopic(prefix + "-dispatch", Partitions),
        SessionTimeout = KafkaTestClients.SessionTimeout,
        HeartbeatInterval = KafkaTestClients.HeartbeatInterval,
    };

    /// <summary>Rejects every journal write of one persistence id, as a journal rejects events it cannot serialize.</summary>
    private sealed class RejectedDevice(string persistenceId) : IJournalInterceptor
    {
        public Task InterceptAsync(IPersistentRepresentation message) =>
            message.PersistenceId == persistenceId
                ? throw new TestJournalRejectionException("rejected on purpose")
                : Task.CompletedTask;
    }

    /// <summary>Fails the first <c>count</c> journal writes of device entities (other persistence ids always pass).</summary>
    private sealed class FailingDeviceWrites(int count) : IJournalInterceptor
    {
        private int _deviceWrites;

        public int Failed => Math.Min(Volatile.Read(ref _deviceWrites), count);

        public Task InterceptAsync(IPersistentRepresentation message)
        {
            if (message.PersistenceId.StartsWith("device-", StringComparison.Ordinal) && Interlocked.Increment(ref _deviceWrites) <= count)
            {
                throw new InvalidOperationException("journal write failed on purpose");
            }
            return Task.CompletedTask;
        }
    }
}
