namespace Alerting.Events;

/// <summary>
/// The outcome of decoding one record: either <see cref="Event"/> (ok), or an <see cref="Error"/> reason with a
/// human-readable <see cref="Message"/>. Bad input is a value, not an exception.
/// </summary>
public readonly struct DecodeResult
{
    private DecodeResult(DeviceEvent? ev, DecodeError error, string? message)
    {
        Event = ev;
        Error = error;
        Message = message;
    }

    /// <summary>The decoded event, or null when decoding failed.</summary>
    public DeviceEvent? Event { get; }

    /// <summary>The reason decoding failed; meaningless when <see cref="IsOk"/>.</summary>
    public DecodeError Error { get; }

    /// <summary>What was wrong, naming the field where there is one; null when ok.</summary>
    public string? Message { get; }

    public bool IsOk => Event is not null;

    public static DecodeResult Ok(DeviceEvent ev) => new(ev ?? throw new ArgumentNullException(nameof(ev)), default, null);

    public static DecodeResult Fail(DecodeError error, string message) => new(null, error, message);

    public override string ToString() => IsOk ? $"ok {Event!.EventId}" : $"{Error.Code()}: {Message}";
}

/// <summary>Where a record came from: topic, partition and offset (offset -1 when unknown).</summary>
public readonly record struct RecordOrigin(string Topic, int Partition, long Offset)
{
    /// <summary>The fallback event id, <c>topic/partition/offset</c>.</summary>
    public override string ToString() => $"{Topic}/{Partition}/{Offset}";
}
