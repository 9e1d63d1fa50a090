namespace Alerting.Events;

/// <summary>
/// Why a record could not be decoded. Each reason has a stable snake_case code (<see cref="DecodeErrors.Code"/>)
/// used in dead-letter headers and counter names; never renumber or rename them.
/// </summary>
public enum DecodeError : byte
{
    /// <summary>Not a JSON object (other bytes, a JSON array or scalar, trailing garbage, bad syntax).</summary>
    NotJson = 0,
    /// <summary>The JSON stops before the root object is closed.</summary>
    Truncated,
    /// <summary>No bytes, or only whitespace (a tombstone, an empty message).</summary>
    Empty,
    /// <summary>The bytes are not valid UTF-8 (binary data).</summary>
    InvalidUtf8,
    /// <summary>A mapped field holds a value of another JSON type than declared.</summary>
    WrongType,
    /// <summary>The device key is absent, null or empty.</summary>
    MissingDeviceId,
    /// <summary>The event-time field is absent or null.</summary>
    MissingTimestamp,
    /// <summary>The event-time field (or a timestamp field) cannot be read in the declared format.</summary>
    BadTimestamp,
    /// <summary>A number overflows its type, or is NaN / infinite.</summary>
    BadNumber,
    /// <summary>Objects and arrays nest deeper than max-depth.</summary>
    TooDeep,
    /// <summary>The record is larger than max-record-bytes.</summary>
    TooLarge,
    /// <summary>The kind field is absent, null or empty.</summary>
    MissingKind,
    /// <summary>The kind is not one of the source's declared kinds.</summary>
    UnknownKind,
    /// <summary>The event time is more than max-future-skew ahead of the wall clock.</summary>
    FutureTimestamp,
    /// <summary>The device key is longer than <see cref="EventDecoder.MaxDeviceIdBytes"/> UTF-8 bytes.</summary>
    DeviceIdTooLong,
}

/// <summary>Stable codes of <see cref="DecodeError"/> values.</summary>
public static class DecodeErrors
{
    private static readonly string[] Codes =
    [
        "not_json", "truncated", "empty", "invalid_utf8", "wrong_type", "missing_device_id", "missing_timestamp",
        "bad_timestamp", "bad_number", "too_deep", "too_large", "missing_kind", "unknown_kind", "future_timestamp",
        "device_id_too_long",
    ];

    /// <summary>How many reasons there are; reasons are 0 .. Count-1.</summary>
    public static int Count => Codes.Length;

    /// <summary>Every reason, in numeric order.</summary>
    public static IReadOnlyList<DecodeError> All { get; } = Enumerable.Range(0, Codes.Length).Select(i => (DecodeError)i).ToArray();

    /// <summary>The stable snake_case code of a reason, e.g. <c>missing_device_id</c>.</summary>
    public static string Code(this DecodeError reason) => Codes[(int)reason];

    /// <summary>Parses a code written by <see cref="Code"/>.</summary>
    public static bool TryParse(string code, out DecodeError reason)
    {
        var i = Array.IndexOf(Codes, code);
        reason = i < 0 ? default : (DecodeError)i;
        return i >= 0;
    }
}
