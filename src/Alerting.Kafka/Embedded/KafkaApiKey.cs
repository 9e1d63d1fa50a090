namespace Alerting.Kafka.Embedded;

/// <summary>
/// Kafka protocol request types (API keys) the embedded broker serves, used to aim injected request errors.
/// The values are those of the Kafka wire protocol.
/// </summary>
#pragma warning disable CA1028 // The wire protocol defines API keys as int16.
public enum KafkaApiKey : short
#pragma warning restore CA1028
{
    /// <summary>Produce (0).</summary>
    Produce = 0,

    /// <summary>Fetch (1).</summary>
    Fetch = 1,

    /// <summary>ListOffsets (2).</summary>
    ListOffsets = 2,

    /// <summary>Metadata (3).</summary>
    Metadata = 3,

    /// <summary>OffsetCommit (8).</summary>
    OffsetCommit = 8,

    /// <summary>OffsetFetch (9).</summary>
    OffsetFetch = 9,

    /// <summary>FindCoordinator (10).</summary>
    FindCoordinator = 10,

    /// <summary>JoinGroup (11).</summary>
    JoinGroup = 11,

    /// <summary>Heartbeat (12).</summary>
    Heartbeat = 12,

    /// <summary>LeaveGroup (13).</summary>
    LeaveGroup = 13,

    /// <summary>SyncGroup (14).</summary>
    SyncGroup = 14,

    /// <summary>ApiVersions (18).</summary>
    ApiVersions = 18,

    /// <summary>InitProducerId (22).</summary>
    InitProducerId = 22,
}
