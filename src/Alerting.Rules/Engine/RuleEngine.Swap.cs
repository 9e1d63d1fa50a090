
namespace Alerting.Rules;

/// <summary>What <see cref="RuleEngine.SwapRules"/> did.</summary>
/// <param name="SwappedAt">The event time the new set took over from: events at or after it match the new set.</param>
/// <param name="KeptRules">Rules of the old set whose id and version are in the new one: their states carry over.</param>
/// <param name="DroppedRules">Rules of the old set that are gone or come with another version: their states are dropped.</param>
public readonly record struct SwapResult(long SwappedAt, int KeptRules, int DroppedRules);

/// <summary>Changing the rule set while the engine runs, at an event time.</summary>
public sealed partial class RuleEngine
{
    // _remaps[k]: a rule index under epoch k → its index under epoch k + 1 (−1: the rule's states are dropped)
    private readonly List<int[]> _remaps = [];
    private int _epoch;

    /// <summary>
    /// Puts <paramref name="next"/> in force from event time <paramref name="effectiveAt"/> on: first every buffered
    /// event before it is matched, and every timer due before it fires, under the current set (the watermark moves to
    /// <c>effectiveAt − 1</c>); then the sets change, and the events still buffered (at or after it) and all later ones
    /// match the new set. When the watermark is already at or past <paramref name="effectiveAt"/> the swap happens at
    /// the watermark (<see cref="SwapResult.SwappedAt"/> says where).
    /// <para>
    /// Per device, a rule state whose rule keeps its id and version carries over untouched (partial matches, absence
    /// timers, open alerts); the state of a rule that is removed or comes with another version is dropped: its partial
    /// matches and timers end, and its open alerts are forgotten as if their <see cref="RuleEngineOptions.OpenAlertTimeToLive"/>
    /// had run out (no Revoke is sent for them; a changed rule starts afresh under its new version, whose alert ids differ).
    /// </para>
    /// <para>
    /// The swap itself costs the size of the rule sets, not of the device table: each device's states are carried over
    /// the first time the engine touches the device afterwards (an event, a timer, a snapshot), before anything else is
    /// done with it. Nothing in between depends on them, so the outcome is the same as changing every device at once.
    /// </para>
    /// </summary>
    public SwapResult SwapRules(RuleSet next, long effectiveAt, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(next);
        ArgumentNullException.ThrowIfNull(output);
        if (!ReferenceEquals(next.Schema, Rules.Schema) && !next.Schema.Fields.SequenceEqual(Rules.Schema.Fields))
        {
            throw new ArgumentException("the new rule set is compiled against another event schema", nameof(next));
        }

        if (effectiveAt != long.MinValue && effectiveAt - 1 > Watermark)
        {
            OnWatermark(effectiveAt - 1, output);
        }

        var swappedAt = Math.Max(effectiveAt, Watermark == long.MinValue ? long.MinValue : Watermark + 1);
        var byRule = new Dictionary<(string Id, int Version), int>(next.Rules.Count);
        for (var i = 0; i < next.Rules.Count; i++)
        {
            byRule[(next.Rules[i].Id, next.Rules[i].Version)] = i;
        }

        var map = new int[_rules.Length];
        var kept = 0;
        for (var i = 0; i < _rules.Length; i++)
        {
            map[i] = byRule.TryGetValue((_rules[i].Id, _rules[i].Version), out var n) ? n : -1;
            kept += map[i] >= 0 ? 1 : 0;
        }

        _remaps.Add(map);
        _epoch++;
        Rules = next;
        _rules = next.RuleArray;
        _index = next.Index;
        return new SwapResult(swappedAt, kept, map.Length - kept);
    }

    // Carries a device's rule states over the swaps since it was last touched; false when it holds nothing any more
    // (the caller removes it: it may be enumerating the table).
    private bool CatchUp(DeviceState dev)
    {
        for (var epoch = dev.Epoch; epoch < _epoch; epoch++)
        {
            var map = _remaps[epoch];
            for (var i = 0; i < dev.SlotCount; i++)
            {
                ref var s = ref dev.Slots[i];
                if (s.IsEmpty)
                {
                    continue;
                }

                var to = map[s.Rule];
                if (to >= 0)
                {
                    s.Rule = to;
                    continue;
                }

                s.Clear(_pool);
                s.TriggerId = null;
                s.ClearOpen();
            }
        }

        dev.Epoch = _epoch;
        return Resettle(dev);
    }

    // Settle without removing the device from the table (the caller is enumerating it): compacts the slots and
    // refreshes the summaries (kind bits change with the index); false when the device holds nothing any more.
    private bool Resettle(DeviceState dev)
    {
        dev.ResetSummaries();
        var slots = dev.Slots;
        var kept = 0;
        for (var i = 0; i < dev.SlotCount; i++)
        {
            if (slots[i].IsEmpty)
            {
                continue;
            }

            if (kept != i)
            {
                slots[kept] = slots[i];
            }

            kept++;
        }

        if (kept != dev.SlotCount)
        {
            Array.Clear(slots, kept, dev.SlotCount - kept);
            dev.SlotCount = kept;
        }

        if (kept == 0)
        {
            return false;
        }

        Settle(dev);
        return true;
    }
}
