using Akka.Configuration;
using Alerting.Configuration;
using ConsumerConfig = Confluent.Kafka.ConsumerConfig;
using ProducerConfig = Confluent.Kafka.ProducerConfig;

namespace Alerting.Dispatch.Hosting;

/// <summary>
/// Kafka and entity settings of the dispatcher (<see cref="Sharding.ShardedDispatcher"/>), created from HOCON (<see cref="Create"/>: the <c>alerting.dispatch</c>
/// section with the topics and consumer timings of <c>alerting.kafka</c>); immutable, copy with <c>With*</c> or <c>with</c>.
/// </summary>
public sealed record DispatchSettings
{
    /// <summary>
    /// The settings of <paramref name="config"/>: <c>alerting.dispatch.{group-id, default-delay, snapshot-every,
    /// passivate-after, batch-size}</c>, <c>alerting.kafka.topics.{alerts, work-orders, dispatch, dead-letter}</c>,
    /// <c>alerting.kafka.{bootstrap-servers, session-timeout, heartbeat-interval}</c>. A missing key keeps its default;
    /// an invalid value throws a <see cref="ConfigurationValueException"/> naming its path. The bootstrap servers
    /// may be empty here (the demo's embedded broker sets them with <see cref="WithBootstrapServers"/>); <see cref="Validate"/> checks them.
    /// </summary>
    public static DispatchSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = new DispatchSettings { BootstrapServers = "" };
        var deadLetter = config.ReadString("alerting.kafka.topics.dead-letter", "");
        return d with
        {
            BootstrapServers = config.ReadString("alerting.kafka.bootstrap-servers", ""),
            GroupId = config.ReadString("alerting.dispatch.group-id", d.GroupId),
            AlertsTopic = config.ReadString("alerting.kafka.topics.alerts", d.AlertsTopic),
            WorkOrdersTopic = config.ReadString("alerting.kafka.topics.work-orders", d.WorkOrdersTopic),
            DispatchTopic = config.ReadString("alerting.kafka.topics.dispatch", d.DispatchTopic),
            DeadLetterTopic = deadLetter.Length == 0 ? null : deadLetter,
            DefaultDelay = config.ReadDuration("alerting.dispatch.default-delay", d.DefaultDelay),
            SnapshotEvery = config.ReadInt("alerting.dispatch.snapshot-every", d.SnapshotEvery, 1, 1_000_000),
            PassivateAfter = config.ReadDuration("alerting.dispatch.passivate-after", d.PassivateAfter),
            MaxBatchSize = config.ReadInt("alerting.dispatch.batch-size", d.MaxBatchSize, 1, 1_000_000),
            SessionTimeout = config.ReadDuration("alerting.kafka.session-timeout", d.SessionTimeout),
            HeartbeatInterval = config.ReadDuration("alerting.kafka.heartbeat-interval", d.HeartbeatInterval),
        };
    }

    /// <summary>A copy against other bootstrap servers.</summary>
    public DispatchSettings WithBootstrapServers(string bootstrapServers) => this with { BootstrapServers = bootstrapServers };

    /// <summary>A copy in another consumer group.</summary>
    public DispatchSettings WithGroupId(string groupId) => this with { GroupId = groupId };

    /// <summary>Kafka <c>bootstrap.servers</c>.</summary>
    public required string BootstrapServers { get; init; }

    /// <summary>Consumer group of the dispatch instances; partition ownership of the alerts topic is decided in it.</summary>
    public string GroupId { get; init; } = "akka-alerting-dispatch";

    /// <summary>Generate/revoke alerts, keyed by device (<see cref="Messages.AlertMessage"/>).</summary>
    public string AlertsTopic { get; init; } = "alerts";

    /// <summary>Work-order status, keyed by device, with the alerts topic's partition count (<see cref="Messages.WorkOrderMessage"/>).</summary>
    public string WorkOrdersTopic { get; init; } = "work-orders";

    /// <summary>Where dispatches and revokes go (<see cref="Messages.DispatchMessage"/>).</summary>
    public string DispatchTopic { get; init; } = "dispatch";

    /// <summary>
    /// Where alert and work-order records that cannot be read go, with the reason, source topic, partition and
    /// offset in headers; null only counts them.
    /// </summary>
    public string? DeadLetterTopic { get; init; }

    /// <summary>Delay of a generate whose message carries none.</summary>
    public TimeSpan DefaultDelay { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>A snapshot of an entity is saved once this many events were written since its last one.</summary>
    public int SnapshotEvery { get; init; } = 100;

    /// <summary>An entity idle this long, with nothing held and nothing to send, is dropped from memory (reloaded on demand).</summary>
    public TimeSpan PassivateAfter { get; init; } = TimeSpan.FromMinutes(2);

    /// <summary><c>alerting.dispatch.batch-size</c>: read for compatibility; the sharded dispatcher does not batch by it (its
    /// journal batches per Akka.Persistence.Sql's <c>batch-size</c>).</summary>
    public int MaxBatchSize { get; init; } = 2000;

    /// <summary>Not used by the sharded dispatcher (the consumer's poll settings are <c>akka.kafka.consumer</c>'s).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>Consumer session timeout (Kafka's default 45 s; tests on the embedded broker use 6 s).</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(45);

    /// <summary>Consumer heartbeat interval.</summary>
    public TimeSpan HeartbeatInterval { get; init; } = TimeSpan.FromSeconds(3);

    /// <summary>
    /// Applied to each consumer configuration the host builds, with the client's role (<c>dispatch</c>,
    /// <c>dispatch-work-orders</c>): client id, fetch wait, security and other librdkafka properties. The host sets
    /// the bootstrap servers, the group and the commit behaviour itself before.
    /// </summary>
    public Action<ConsumerConfig, string>? ConfigureConsumer { get; init; }

    /// <summary>
    /// Applied to the producer configuration the host builds, with the client's role (<c>dispatch</c>): client id,
    /// compression, linger, queue size, security and other librdkafka properties.
    /// </summary>
    public Action<ProducerConfig, string>? ConfigureProducer { get; init; }

    /// <summary>Checks the values; throws <see cref="ArgumentException"/> naming the first bad one.</summary>
    public DispatchSettings Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(BootstrapServers);
        ArgumentException.ThrowIfNullOrWhiteSpace(GroupId);
        ArgumentException.ThrowIfNullOrWhiteSpace(AlertsTopic);
        ArgumentException.ThrowIfNullOrWhiteSpace(WorkOrdersTopic);
        ArgumentException.ThrowIfNullOrWhiteSpace(DispatchTopic);
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultDelay, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotEvery, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PassivateAfter, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBatchSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(PollInterval, TimeSpan.Zero);
        return this;
    }
}
