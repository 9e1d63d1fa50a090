namespace Alerting.Events;

/// <summary>
/// A decoded device event: who (device key), what (kind, e.g. Fault/Recover/Alarm/Run), when (event time),
/// the mapped fields in schema slots, and where it came from (topic, partition, offset) so offsets can be
/// committed and bad or late records routed with their origin. The raw payload stays available for
/// JSON-path conditions on fields that are not mapped.
/// </summary>
public sealed class DeviceEvent
{
    /// <summary>Device key as a string (e.g. "42"); also the Kafka key downstream.</summary>
    public required string DeviceId { get; init; }

    /// <summary>Event kind from the kind field (Fault, Recover, Alarm, Run, …), interned.</summary>
    public required string Kind { get; init; }

    /// <summary>Event time in Unix milliseconds, UTC.</summary>
    public required long EventTime { get; init; }

    /// <summary>
    /// Stable id of the event: the mapped id field when the source has one, otherwise
    /// <c>topic/partition/offset</c>. Alert ids hash these, so a replay yields the same alert ids.
    /// </summary>
    public required string EventId { get; init; }

    /// <summary>Mapped field values, indexed by <see cref="EventSchema.SlotOf"/>.</summary>
    public required FieldValue[] Fields { get; init; }

    /// <summary>The original record value (UTF-8 JSON), for JSON-path access.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; }

    public string Topic { get; init; } = "";
    public int Partition { get; init; }
    public long Offset { get; init; } = -1;

    /// <summary>Behind the watermark but within allowed lateness: processed, flagged.</summary>
    public bool IsLate { get; init; }

    /// <summary>The same event flagged late (behind the watermark, within the allowed lateness).</summary>
    public DeviceEvent AsLate() => Copy(Topic, Partition, Offset, isLate: true);

    /// <summary>The same event at another source position (topic, partition, offset).</summary>
    public DeviceEvent At(string topic, int partition, long offset) => Copy(topic, partition, offset, IsLate);

    private DeviceEvent Copy(string topic, int partition, long offset, bool isLate) => new()
    {
        DeviceId = DeviceId,
        Kind = Kind,
        EventTime = EventTime,
        EventId = EventId,
        Fields = Fields,
        Payload = Payload,
        Topic = topic,
        Partition = partition,
        Offset = offset,
        IsLate = isLate,
    };

    /// <summary>The value of a slot, or <see cref="FieldValue.Missing"/> for -1.</summary>
    public FieldValue Field(int slot) => slot < 0 || slot >= Fields.Length ? FieldValue.Missing : Fields[slot];
}
