using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace Alerting.Rules;

/// <summary>Whether an <see cref="AlertEvent"/> raises an alert or withdraws one raised earlier.</summary>
public enum AlertKind
{
    Generate,
    Revoke,
    /// <summary>
    /// A partial match of a sequence whose window ran out (<c>on timeout alert</c>): raises an alert of the
    /// rule's timeout type and is dispatched like a Generate. Its <see cref="AlertEvent.EventIds"/> are the
    /// events the partial match took, its alert time the end of the window.
    /// </summary>
    Timeout,
}

/// <summary>
/// What the matcher emits: a Generate when a rule matched for a device, or a Revoke of an alert raised
/// earlier. A Revoke repeats the alert's id, type, priority and fault time; its alert time is the revoking
/// event's time and its <see cref="EventIds"/> hold the revoking event's id.
/// </summary>
/// <param name="Kind">Generate or Revoke.</param>
/// <param name="AlertId">Deterministic id, see <see cref="AlertIds.Compute(string, int, string, IReadOnlyList{string})"/>.</param>
/// <param name="RuleId">Id of the rule instance.</param>
/// <param name="RuleVersion">Version of the rule instance.</param>
/// <param name="AlertType">Alert type from the rule.</param>
/// <param name="Priority">Priority from the rule.</param>
/// <param name="Delay">How long the dispatcher holds the alert before sending it.</param>
/// <param name="Info">Free text from the rule.</param>
/// <param name="DeviceId">The device key.</param>
/// <param name="AlertTime">Unix ms: event time of the last matched event (of the revoking event for a Revoke; the deadline for absent).</param>
/// <param name="FaultTime">Unix ms: event time of the earliest matched event.</param>
/// <param name="EventIds">Ids of the matched events in event-time order (of the revoking event for a Revoke).</param>
public sealed record AlertEvent(
    AlertKind Kind,
    string AlertId,
    string RuleId,
    int RuleVersion,
    string AlertType,
    int Priority,
    TimeSpan Delay,
    string Info,
    string DeviceId,
    long AlertTime,
    long FaultTime,
    IReadOnlyList<string> EventIds)
{
    /// <summary>Found by a rule's bootstrap over history (produced with the header <c>alerting-bootstrap: true</c>), not by the live stream.</summary>
    public bool Bootstrap { get; init; }
}

/// <summary>Deterministic alert ids: the same rule, version, device and matched events give the same id in any run.</summary>
public static class AlertIds
{
    /// <summary>
    /// SHA-256 over the length-prefixed UTF-8 of rule id, rule version, device id and each event id, truncated
    /// to 16 bytes, as 32 lowercase hex characters.
    /// </summary>
    public static string Compute(string ruleId, int ruleVersion, string deviceId, IReadOnlyList<string> eventIds)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        return Compute(ruleId, ruleVersion, deviceId, eventIds is string[] array ? array : [.. eventIds]);
    }

    /// <summary>The same id from the event ids as a span: hashed straight from the strings, nothing allocated but the id.</summary>
    public static string Compute(string ruleId, int ruleVersion, string deviceId, ReadOnlySpan<string> eventIds) =>
        Format(ComputeValue(ruleId, ruleVersion, deviceId, eventIds));

    /// <summary>The 16 bytes the id spells, as one number (the first byte highest): <see cref="Format"/> gives the id's text.</summary>
    internal static UInt128 ComputeValue(string ruleId, int ruleVersion, string deviceId, ReadOnlySpan<string> eventIds)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        ArgumentNullException.ThrowIfNull(deviceId);
        var size = 4 + 4 + 4 + Encoding.UTF8.GetByteCount(ruleId) + Encoding.UTF8.GetByteCount(deviceId);
        foreach (var id in eventIds)
        {
            size += 4 + Encoding.UTF8.GetByteCount(id);
        }

        var rented = size <= 512 ? null : System.Buffers.ArrayPool<byte>.Shared.Rent(size);
        var buffer = rented is null ? stackalloc byte[512] : rented.AsSpan();
        var at = Put(buffer, 0, ruleId);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], ruleVersion);
        at = Put(buffer, at + 4, deviceId);
        foreach (var id in eventIds)
        {
            at = Put(buffer, at, id);
        }

        Span<byte> digest = stackalloc byte[32];
        SHA256.HashData(buffer[..at], digest);
        if (rented is not null)
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(rented);
        }

        return BinaryPrimitives.ReadUInt128BigEndian(digest);
    }

    private static readonly System.Buffers.SearchValues<char> LowerHex = System.Buffers.SearchValues.Create("0123456789abcdef");

    /// <summary>The text of an id: its 16 bytes, first byte first, as 32 lowercase hex characters.</summary>
    internal static string Format(UInt128 value)
    {
        Span<byte> bytes = stackalloc byte[16];
        BinaryPrimitives.WriteUInt128BigEndian(bytes, value);
        return Convert.ToHexStringLower(bytes);
    }

    /// <summary>The 16 bytes of an id's text when it is exactly what <see cref="Format"/> writes (32 lowercase hex characters).</summary>
    internal static bool TryParse(string text, out UInt128 value)
    {
        value = UInt128.Zero;
        if (text.Length != 32 || text.AsSpan().ContainsAnyExcept(LowerHex))
        {
            return false;
        }

        Span<byte> bytes = stackalloc byte[16];
        if (Convert.FromHexString(text, bytes, out _, out var written) != System.Buffers.OperationStatus.Done || written != 16)
        {
            return false;
        }

        value = BinaryPrimitives.ReadUInt128BigEndian(bytes);
        return true;
    }

    /// <summary>
    /// The id of a timed-out partial match: <see cref="Compute(string, int, string, IReadOnlyList{string})"/> over
    /// <see cref="TimeoutMarker"/> and then the event ids, so it never equals the id of a full match of the same
    /// events, unless an event's id were that very marker (a NUL character then "timeout").
    /// </summary>
    public static string ComputeTimeout(string ruleId, int ruleVersion, string deviceId, IReadOnlyList<string> eventIds)
    {
        ArgumentNullException.ThrowIfNull(eventIds);
        return Compute(ruleId, ruleVersion, deviceId, [TimeoutMarker, .. eventIds]);
    }

    /// <summary>The first element hashed for a timed-out partial match.</summary>
    public const string TimeoutMarker = "\u0000timeout";

    private static int Put(Span<byte> buffer, int at, string s)
    {
        var n = Encoding.UTF8.GetBytes(s, buffer[(at + 4)..]);
        BinaryPrimitives.WriteInt32LittleEndian(buffer[at..], n);
        return at + 4 + n;
    }
}
