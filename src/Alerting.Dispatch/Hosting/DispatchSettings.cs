using Confluent.Kafka;

namespace Alerting.Dispatch.Hosting;

/// <summary>
/// Settings of a <see cref="DispatchHost"/> (the <c>alerting.dispatch</c> section); immutable, copy with <c>with</c>.
/// </summary>
public sealed record DispatchSettings
{
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

    /// <summary>Records taken from Kafka per poll batch; the events of a batch are written per partition in one transaction.</summary>
    public int MaxBatchSize { get; init; } = 2000;

    /// <summary>How long a poll waits for the first record of a batch; also how late a delay may end at most.</summary>
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
