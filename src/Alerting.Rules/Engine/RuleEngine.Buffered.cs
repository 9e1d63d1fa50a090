using Alerting.Events;

namespace Alerting.Rules;

/// <summary>The events waiting for the watermark, as a copy (a rule's bootstrap hands them to its own matcher).</summary>
public sealed partial class RuleEngine
{
    /// <summary>
    /// A copy of the events buffered until the watermark passes them, in no particular order (the engine releases
    /// them in its own order whatever the order they were taken in). The engine is left as it was.
    /// </summary>
    public IReadOnlyList<DeviceEvent> CopyBufferedEvents()
    {
        var copy = new List<DeviceEvent>(_pending.Count);
        foreach (var (e, _) in _pending.UnorderedItems)
        {
            copy.Add(e);
        }

        return copy;
    }
}
