
namespace Alerting.Rules;

/// <summary>What <see cref="RuleEngine.SwapRules"/> did.</summary>
/// <param name="SwappedAt">The event time the new set took over from: events at or after it match the new set.</param>
/// <param name="KeptRuleStates">Rule states carried over (their rule's id and version are in both sets).</param>
/// <param name="DroppedRuleStates">Rule states dropped (their rule was removed or changed version), open alerts included.</param>
public readonly record struct SwapResult(long SwappedAt, int KeptRuleStates, int DroppedRuleStates);

/// <summary>Changing the rule set while the engine runs, at an event time.</summary>
public sealed partial class RuleEngine
{
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
    /// The pass over the devices allocates nothing beyond the new rule set's own tables.
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

        // old rule index → new rule index (−1: gone)
        var byRule = new Dictionary<(string Id, int Version), int>(next.Rules.Count);
        for (var i = 0; i < next.Rules.Count; i++)
        {
            byRule[(next.Rules[i].Id, next.Rules[i].Version)] = i;
        }

        var map = new int[_rules.Length];
        for (var i = 0; i < _rules.Length; i++)
        {
            map[i] = byRule.TryGetValue((_rules[i].Id, _rules[i].Version), out var n) ? n : -1;
        }

        Rules = next;
        _rules = next.RuleArray;
        _index = next.Index;

        var kept = 0;
        var dropped = 0;
        List<DeviceState>? emptied = null;
        foreach (var dev in _devices.Values)
        {
            for (var i = 0; i < dev.SlotCount; i++)
            {
                ref var s = ref dev.Slots[i];
                var to = map[s.Rule];
                if (to >= 0)
                {
                    s.Rule = to;
                    kept++;
                    continue;
                }

                s.Clear(_pool);
                s.TriggerId = null;
                s.ClearOpen();
                dropped++;
            }

            if (!Resettle(dev))
            {
                (emptied ??= []).Add(dev);
            }
        }

        if (emptied is not null)
        {
            foreach (var dev in emptied)
            {
                _devices.Remove(dev.DeviceId);
                _pool.Return(dev);
            }
        }

        return new SwapResult(swappedAt, kept, dropped);
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
