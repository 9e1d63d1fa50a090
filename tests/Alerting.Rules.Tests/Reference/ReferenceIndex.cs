using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules.Tests.Reference;

/// <summary>
/// Maps an event to the rules whose pattern steps test its kind: per kind, rules keyed by the value of one
/// mapped field (e.g. the fault code) and rules that take every event of the kind; plus rules that take any
/// kind. <c>unless</c> and <c>revoke when</c> are not indexed: they only concern a device's existing state.
/// </summary>
internal sealed class RuleIndex
{
    private readonly Dictionary<string, KindEntry> _byKind = new(StringComparer.Ordinal);
    private readonly int[] _anyKind;

    public RuleIndex(IReadOnlyList<CompiledRule> rules)
    {
        var any = new List<int>();
        var perKind = new Dictionary<string, List<(int Rule, int Slot, FieldValue[] Values)>>(StringComparer.Ordinal);
        for (var r = 0; r < rules.Count; r++)
        {
            var matchers = rules[r].Steps.ToList();
            if (matchers.Any(m => m.Kind is null))
            {
                any.Add(r);
                continue;
            }

            foreach (var group in matchers.GroupBy(m => m.Kind!, StringComparer.Ordinal))
            {
                var slot = group.First().KeySlot;
                var keyed = slot >= 0 && group.All(m => m.KeySlot == slot);
                var values = keyed ? group.SelectMany(m => m.KeyValues).Distinct().ToArray() : [];
                if (!perKind.TryGetValue(group.Key, out var list))
                {
                    perKind[group.Key] = list = [];
                }

                list.Add((r, keyed ? slot : -1, values));
            }
        }

        _anyKind = [.. any];
        foreach (var (kind, list) in perKind)
        {
            // key the kind on the slot most of its rules test
            var slot = list.Where(x => x.Slot >= 0).GroupBy(x => x.Slot).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).Select(g => g.Key).DefaultIfEmpty(-1).First();
            var unkeyed = new List<int>();
            var keyed = new Dictionary<FieldValue, List<int>>();
            foreach (var (rule, s, values) in list)
            {
                if (s != slot || s < 0)
                {
                    unkeyed.Add(rule);
                    continue;
                }

                foreach (var v in values)
                {
                    if (!keyed.TryGetValue(v, out var rl))
                    {
                        keyed[v] = rl = [];
                    }

                    rl.Add(rule);
                }
            }

            _byKind[kind] = new KindEntry(
                [.. unkeyed],
                slot,
                keyed.Count == 0 ? null : keyed.ToDictionary(kv => kv.Key, kv => kv.Value.ToArray()));
        }
    }

    /// <summary>Rule indexes that can use the event, in three disjoint groups.</summary>
    public void Lookup(DeviceEvent e, out int[] unkeyed, out int[] keyed, out int[] anyKind)
    {
        anyKind = _anyKind;
        if (_byKind.TryGetValue(e.Kind, out var entry))
        {
            unkeyed = entry.Unkeyed;
            keyed = entry.Keyed is not null && entry.Keyed.TryGetValue(e.Field(entry.Slot), out var k) ? k : [];
        }
        else
        {
            unkeyed = [];
            keyed = [];
        }
    }

    private sealed record KindEntry(int[] Unkeyed, int Slot, Dictionary<FieldValue, int[]>? Keyed);
}
