using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>
/// Sequence rules (<see cref="PatternOperator.Sequence"/>): matched by their own automaton over their own per-device
/// state, beside the other operators' slots, so a rule set without them runs exactly as before.
/// </summary>
public sealed partial class RuleEngine
{
    private readonly Dictionary<string, SequenceDevice> _sequenceDevices = new(StringComparer.Ordinal);
    private readonly PriorityQueue<SequenceDevice, long> _sequenceWakeups = new();
    private readonly SequenceCounters _sequenceCounters = new();
    private RuleSet? _sequencesOf;
    private SequenceMatcher[] _sequenceMatchers = [];
    private SequenceMatcher[] _sequenceAnyKind = [];
    private Dictionary<string, SequenceMatcher[]> _sequenceByKind = [];
    private Dictionary<(string Id, int Version), SequenceMatcher> _sequenceByRule = [];

    /// <summary>Partial matches of sequence rules not kept because a rule and device held <see cref="RuleEngineOptions.MaxPartialMatches"/> already.</summary>
    public long PartialMatchesDropped => _sequenceCounters.PartialMatchesDropped;

    /// <summary>Matches of sequence rules not raised because one event completed more than <c>skip none max N</c> allows.</summary>
    public long SequenceMatchesDropped => _sequenceCounters.MatchesDropped;

    /// <summary>Devices that hold state of sequence rules.</summary>
    public int SequenceDevices => _sequenceDevices.Count;

    // The matchers of the current set's sequence rules, rebuilt when the set changes, and by kind the ones an event
    // of that kind concerns (in rule order); a swap keeps the state of every rule whose id and version stay.
    private SequenceMatcher[] SequenceMatchers()
    {
        if (!ReferenceEquals(_sequencesOf, Rules))
        {
            _sequencesOf = Rules;
            _sequenceMatchers = [.. Rules.Rules.Where(r => r.Sequence is not null)
                .Select(r => new SequenceMatcher(r, _openTtl, Math.Max(1, Options.MaxPartialMatches), _sequenceCounters))];
            _sequenceByRule = _sequenceMatchers.ToDictionary(m => (m.Rule.Id, m.Rule.Version));
            _sequenceAnyKind = [.. _sequenceMatchers.Where(m => m.Rule.Sequence!.Kinds is null)];
            _sequenceByKind = _sequenceMatchers.SelectMany(m => m.Rule.Sequence!.Kinds ?? []).Distinct(StringComparer.Ordinal)
                .ToDictionary(k => k, k => _sequenceMatchers.Where(m => m.Rule.Sequence!.Kinds is not { } kinds || kinds.Contains(k, StringComparer.Ordinal)).ToArray(), StringComparer.Ordinal);
        }

        return _sequenceMatchers;
    }

    // The matcher of a state under the current set, or null when its rule left the set.
    private SequenceMatcher? Resolve(SequenceState st)
    {
        if (!ReferenceEquals(st.ResolvedFor, _sequencesOf))
        {
            st.Matcher = _sequenceByRule.GetValueOrDefault((st.RuleId, st.RuleVersion));
            st.ResolvedFor = _sequencesOf;
        }

        return st.Matcher;
    }

    private void MatchSequences(DeviceEvent e, ICollection<AlertEvent> output)
    {
        if (SequenceMatchers().Length == 0)
        {
            return;
        }

        var matchers = _sequenceByKind.TryGetValue(e.Kind, out var byKind) ? byKind : _sequenceAnyKind;
        if (matchers.Length == 0)
        {
            return;
        }

        _sequenceDevices.TryGetValue(e.DeviceId, out var dev);
        var changed = false;
        foreach (var m in matchers)
        {
            SequenceState? st = null;
            if (dev is not null)
            {
                foreach (var candidate in dev.States)
                {
                    if (ReferenceEquals(Resolve(candidate), m))
                    {
                        st = candidate;
                        break;
                    }
                }
            }

            if (st is null)
            {
                if (!m.Starts(e))
                {
                    continue;
                }

                if (dev is null)
                {
                    dev = new SequenceDevice(e.DeviceId, e.Topic, e.Partition);
                    _sequenceDevices[e.DeviceId] = dev;
                }

                st = new SequenceState(m.Rule.Id, m.Rule.Version) { Matcher = m, ResolvedFor = _sequencesOf };
                dev.States.Add(st);
            }

            m.OnEvent(st, e, output);
            changed = true;
        }

        if (dev is not null && changed)
        {
            SettleSequences(dev);
        }
    }

    // Ends what is due on the devices whose sequence state has a deadline at or before the watermark.
    private void ExpireSequences(long watermark, ICollection<AlertEvent> output)
    {
        SequenceMatchers();
        var until = watermark == long.MaxValue ? long.MaxValue : watermark - _lateness - 1;
        var openUntil = watermark == long.MaxValue ? long.MaxValue : watermark - _openTtl;
        while (_sequenceWakeups.TryPeek(out var dev, out var at) && at <= watermark)
        {
            _sequenceWakeups.Dequeue();
            if (dev.Removed || dev.ScheduledWake != at)
            {
                continue;
            }

            dev.ScheduledWake = long.MaxValue;
            foreach (var st in dev.States)
            {
                Resolve(st)?.Expire(st, dev.DeviceId, until, output, openUntil);
            }

            SettleSequences(dev);
        }
    }

    // Drops the states that hold nothing (or whose rule left the set), then the device once it holds none, or
    // arms its wake-up at its earliest deadline.
    private void SettleSequences(SequenceDevice dev)
    {
        var due = long.MaxValue;
        var states = dev.States;
        var kept = 0;
        for (var i = 0; i < states.Count; i++)
        {
            var st = states[i];
            if (st.IsEmpty || Resolve(st) is not { } matcher)
            {
                continue;
            }

            due = Math.Min(due, matcher.Due(st, _lateness));
            states[kept++] = st;
        }

        states.RemoveRange(kept, states.Count - kept);

        if (dev.States.Count == 0)
        {
            dev.Removed = true;
            _sequenceDevices.Remove(dev.DeviceId);
            return;
        }

        if (due < dev.ScheduledWake)
        {
            dev.ScheduledWake = due;
            _sequenceWakeups.Enqueue(dev, due);
        }
    }

    /// <summary>
    /// A device's state of the sequence rules, by rule id and version; like a <see cref="DeviceState"/> it belongs
    /// to the source partition of the event that created it.
    /// </summary>
    private sealed class SequenceDevice(string deviceId, string topic, int partition)
    {
        public string DeviceId { get; } = deviceId;

        public string Topic { get; } = topic;

        public int Partition { get; } = partition;

        /// <summary>One state per sequence rule that holds something for the device (few: a list beats hashing).</summary>
        public List<SequenceState> States { get; } = [];

        public long ScheduledWake { get; set; } = long.MaxValue;

        public bool Removed { get; set; }
    }
}
