using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>
/// An immutable, versioned set of compiled rules over one event schema, with the index that offers each
/// event only to the rules that can use it. A new set is a new value; a set is never changed in place.
/// </summary>
public sealed class RuleSet
{
    private RuleSet(long version, IReadOnlyList<CompiledRule> rules, EventSchema schema)
    {
        Version = version;
        Rules = rules;
        Schema = schema;
        RuleArray = [.. rules];
        Index = new RuleIndex(rules);
    }

    /// <summary>Version of the set; every accepted change makes a new version.</summary>
    public long Version { get; }

    /// <summary>The enabled rules, in a stable order.</summary>
    public IReadOnlyList<CompiledRule> Rules { get; }

    public EventSchema Schema { get; }

    internal RuleIndex Index { get; }

    /// <summary><see cref="Rules"/> as an array, for the matcher's inner loops.</summary>
    internal CompiledRule[] RuleArray { get; }

    /// <summary>Builds a set from compiled rules; rule ids must be unique.</summary>
    public static RuleSet Create(long version, IEnumerable<CompiledRule> rules, EventSchema schema)
    {
        ArgumentNullException.ThrowIfNull(rules);
        ArgumentNullException.ThrowIfNull(schema);
        var list = rules.ToArray();
        var dup = list.GroupBy(r => r.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null)
        {
            throw new ArgumentException($"rule id '{dup.Key}' is used twice", nameof(rules));
        }

        return new RuleSet(version, list, schema);
    }

    /// <summary>A set with no rules.</summary>
    public static RuleSet Empty(EventSchema schema) => Create(0, [], schema);
}

/// <summary>
/// Maps an event to the rules whose pattern steps test its kind: per kind, rules keyed by the value of one
/// mapped field (e.g. the fault code) and rules that take every event of the kind; plus rules that take any
/// kind. Each (kind, key value) has its rules in one array, so an event costs one kind lookup, at most one
/// key lookup and then only the rules that can use it. <c>unless</c> and <c>revoke when</c> only concern a
/// device's existing state: for them each rule has the set of kinds its clauses test (see <see cref="Lookup"/>),
/// so a device's states are checked only against events of a kind that can void or revoke them.
/// </summary>
internal sealed class RuleIndex
{
    /// <summary>The kind bit of events whose kind no rule names (or one past the 63 bits): tested against every any-kind clause.</summary>
    public const ulong OtherKinds = 1;

    private readonly Dictionary<string, KindEntry> _byKind = new(StringComparer.Ordinal);
    private readonly int[] _anyKind;

    // the same entries by the kind strings themselves: the decoder interns kinds, so an event's kind is
    // usually one of these very instances and is found by reference, without hashing it
    private readonly string[] _kindRefs;
    private readonly KindEntry[] _kindEntries;

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

        // every kind a rule names, in steps or clauses, gets a bit of its own (bit 0 is every other kind)
        var bits = new Dictionary<string, ulong>(StringComparer.Ordinal);
        foreach (var m in rules.SelectMany(r => r.Steps.Concat(r.Unless).Concat(r.Revoke)))
        {
            if (m.Kind is not null && !bits.ContainsKey(m.Kind))
            {
                bits[m.Kind] = bits.Count < 63 ? 1UL << (bits.Count + 1) : OtherKinds;
            }
        }

        ulong Mask(EventMatcher[] clause) =>
            clause.Aggregate(0UL, (mask, m) => mask | (m.Kind is null ? ulong.MaxValue : bits[m.Kind]));
        UnlessKinds = rules.Select(r => Mask(r.Unless)).ToArray();
        RevokeKinds = rules.Select(r => Mask(r.Revoke)).ToArray();

        _anyKind = [.. any];
        foreach (var (kind, bit) in bits)
        {
            _byKind[kind] = new KindEntry(_anyKind, bit, -1, null);
        }

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

            // offered in this order: the kind's unkeyed rules, the rules keyed on the event's value, any-kind rules
            _byKind[kind] = new KindEntry(
                [.. unkeyed, .. _anyKind],
                bits[kind],
                slot,
                keyed.Count == 0 ? null : keyed.ToDictionary(kv => kv.Key, kv => (int[])[.. unkeyed, .. kv.Value, .. _anyKind]));
        }

        _kindRefs = [.. _byKind.Keys.Select(string.Intern)];
        _kindEntries = [.. _byKind.Keys.Select(k => _byKind[k])];
    }

    /// <summary>Per rule, the kind bits its <c>unless</c> clause tests (all bits when it takes any kind).</summary>
    public ulong[] UnlessKinds { get; }

    /// <summary>Per rule, the kind bits its <c>revoke when</c> clause tests (all bits when it takes any kind).</summary>
    public ulong[] RevokeKinds { get; }

    /// <summary>The rule indexes that can use the event, in offering order, and the bit of its kind.</summary>
    public int[] Lookup(DeviceEvent e, out ulong kindBit)
    {
        var kind = e.Kind;
        KindEntry? entry = null;
        var refs = _kindRefs;
        for (var i = 0; i < refs.Length; i++)
        {
            if (ReferenceEquals(refs[i], kind))
            {
                entry = _kindEntries[i];
                break;
            }
        }

        if (entry is null && !_byKind.TryGetValue(kind, out entry))
        {
            kindBit = OtherKinds;
            return _anyKind;
        }

        kindBit = entry.Bit;
        if (entry.Keyed is not null && entry.Keyed.TryGetValue(e.Field(entry.Slot), out var keyed))
        {
            return keyed;
        }

        return entry.Rules;
    }

    // Rules: the rules offered an event of the kind whose key value no rule tests
    private sealed record KindEntry(int[] Rules, ulong Bit, int Slot, Dictionary<FieldValue, int[]>? Keyed);
}
