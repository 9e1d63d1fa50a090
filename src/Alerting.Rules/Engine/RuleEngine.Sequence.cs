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
    private Dictionary<(string Id, int Version), SequenceMatcher> _sequenceByRule = [];

    /// <summary>Partial matches of sequence rules not kept because a rule and device held <see cref="RuleEngineOptions.MaxPartialMatches"/> already.</summary>
    public long PartialMatchesDropped => _sequenceCounters.PartialMatchesDropped;

    /// <summary>Matches of sequence rules not raised because one event completed more than <c>skip none max N</c> allows.</summary>
    public long SequenceMatchesDropped => _sequenceCounters.MatchesDropped;

    /// <summary>Devices that hold state of sequence rules.</summary>
    public int SequenceDevices => _sequenceDevices.Count;

    // The matchers of the current set's sequence rules, rebuilt when the set changes (a swap keeps the state of
    // every rule whose id and version stay: it is found by them).
    private SequenceMatcher[] SequenceMatchers()
    {
        if (!ReferenceEquals(_sequencesOf, Rules))
        {
            _sequencesOf = Rules;
            _sequenceMatchers = [.. Rules.Rules.Where(r => r.Sequence is not null)
                .Select(r => new SequenceMatcher(r, _openTtl, Math.Max(1, Options.MaxPartialMatches), _sequenceCounters))];
            _sequenceByRule = _sequenceMatchers.ToDictionary(m => (m.Rule.Id, m.Rule.Version));
        }

        return _sequenceMatchers;
    }

    private void MatchSequences(DeviceEvent e, ICollection<AlertEvent> output)
    {
        var matchers = SequenceMatchers();
        if (matchers.Length == 0 && _sequenceDevices.Count == 0)
        {
            return;
        }

        _sequenceDevices.TryGetValue(e.DeviceId, out var dev);
        foreach (var m in matchers)
        {
            if (!m.Takes(e))
            {
                continue;
            }

            var key = (m.Rule.Id, m.Rule.Version);
            SequenceState? st = null;
            if (dev is not null)
            {
                dev.States.TryGetValue(key, out st);
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

                st = new SequenceState();
                dev.States[key] = st;
            }

            m.OnEvent(st, e, output);
            if (st.IsEmpty)
            {
                dev!.States.Remove(key);
            }
        }

        if (dev is not null)
        {
            SettleSequences(dev);
        }
    }

    // Ends what is due on the devices whose sequence state has a deadline at or before the watermark.
    private void ExpireSequences(long watermark, ICollection<AlertEvent> output)
    {
        while (_sequenceWakeups.TryPeek(out var dev, out var at) && at <= watermark)
        {
            _sequenceWakeups.Dequeue();
            if (dev.Removed || dev.ScheduledWake != at)
            {
                continue;
            }

            dev.ScheduledWake = long.MaxValue;
            SequenceMatchers();
            foreach (var (key, st) in dev.States.ToList())
            {
                if (!_sequenceByRule.TryGetValue(key, out var m))
                {
                    dev.States.Remove(key); // the rule left the set (or changed version)
                    continue;
                }

                m.Expire(st, dev.DeviceId, watermark == long.MaxValue ? long.MaxValue : watermark - _lateness - 1, output, watermark == long.MaxValue ? long.MaxValue : watermark - _openTtl);
                if (st.IsEmpty)
                {
                    dev.States.Remove(key);
                }
            }

            SettleSequences(dev);
        }
    }

    // Drops a device without sequence state, or arms its wake-up at its earliest deadline.
    private void SettleSequences(SequenceDevice dev)
    {
        var due = long.MaxValue;
        foreach (var (key, st) in dev.States)
        {
            if (_sequenceByRule.TryGetValue(key, out var m))
            {
                due = Math.Min(due, m.Due(st, _lateness));
            }
            else
            {
                due = long.MinValue; // a state of a rule that left the set: dropped at the next wake-up
            }
        }

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

        public Dictionary<(string Id, int Version), SequenceState> States { get; } = [];

        public long ScheduledWake { get; set; } = long.MaxValue;

        public bool Removed { get; set; }
    }
}
