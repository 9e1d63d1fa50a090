using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>
/// A compiled event pattern: an event kind (or any kind) and a condition compiled to a delegate. For the
/// rule index it also records an equality test on one mapped field (<c>Code = 101</c>, <c>Code in [..]</c>)
/// that every matching event must pass, when the condition has one at its top level.
/// </summary>
internal sealed class EventMatcher
{
    public EventMatcher(string? kind, Func<DeviceEvent, bool>? where, int keySlot, FieldValue[] keyValues)
    {
        Kind = kind is null ? null : string.Intern(kind);
        Where = where;
        KeySlot = keySlot;
        KeyValues = keyValues;
    }

    /// <summary>The event kind, or null for any kind.</summary>
    public string? Kind { get; }

    public Func<DeviceEvent, bool>? Where { get; }

    /// <summary>Slot of a field that must equal one of <see cref="KeyValues"/>, or -1.</summary>
    public int KeySlot { get; }

    public FieldValue[] KeyValues { get; }

    public bool Matches(DeviceEvent e) =>
        (Kind is null || ReferenceEquals(Kind, e.Kind) || string.Equals(Kind, e.Kind, StringComparison.Ordinal))
        && (Where is null || Where(e));

    public static bool Any(EventMatcher[] matchers, DeviceEvent e)
    {
        foreach (var m in matchers)
        {
            if (m.Matches(e))
            {
                return true;
            }
        }

        return false;
    }
}
