using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>
/// The matcher: a synchronous, single-threaded state machine over one stream of events and watermarks.
/// <see cref="OnEvent"/> buffers an event; <see cref="OnWatermark"/> releases every buffered event at or
/// before the watermark in (event time, device id, event id) order and offers each to the rules of the
/// <see cref="RuleSet"/> that can use it, so the same input gives the same alerts whatever the arrival order.
/// Per device and rule it keeps only what can still match; the state of a device is dropped once its
/// partial matches are older than window + allowed lateness, its absence timers fired and its open alerts
/// revoked or expired, so an idle device costs nothing.
/// <para>
/// Laid out for throughput: a device's rule states are 32-byte structs inline in one array, their candidate
/// buffers and the slot arrays are recycled through a pool (beyond the alerts themselves, the steady path
/// allocates when a device's slot array outgrows what the pool holds and for open alerts), each device keeps
/// summaries that let an event skip the passes over its slots that cannot apply to it, and the rule index
/// hands an event only the rules that can use it (<see cref="RulesTouched"/> counts them). The device table
/// and the queues give back their room once they are mostly empty.
/// </para>
/// </summary>
public sealed partial class RuleEngine
{
    private readonly Dictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);
    private readonly PriorityQueue<DeviceEvent, PendingKey> _pending = new();
    private readonly PriorityQueue<(DeviceState Device, int Generation), long> _wakeups = new();
    private readonly StatePool _pool = new();
    private CompiledRule[] _rules;
    private RuleIndex _index;
    private readonly long _lateness;
    private readonly long _openTtl;
    private readonly int[] _chosen = new int[Parser.MaxSteps];

    // per rule, the position of its state in the slots of the device whose event is being matched; -1 for
    // every rule outside Process, so an offered rule finds its state without scanning the device's slots
    private int[] _slotOf = [];

    public RuleEngine(RuleSet rules, RuleEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;
        Options = options ?? new RuleEngineOptions();
        _rules = rules.RuleArray;
        _index = rules.Index;
        _lateness = (long)Options.AllowedLateness.TotalMilliseconds;
        _openTtl = (long)Options.OpenAlertTimeToLive.TotalMilliseconds;
    }

    /// <summary>The rule set events are matched against now (see <see cref="SwapRules"/>).</summary>
    public RuleSet Rules { get; private set; }

    public RuleEngineOptions Options { get; }

    /// <summary>The highest watermark seen (Unix ms); <see cref="long.MinValue"/> before the first.</summary>
    public long Watermark { get; private set; } = long.MinValue;

    /// <summary>Events waiting for the watermark.</summary>
    public int BufferedEvents => _pending.Count;

    /// <summary>Devices that hold rule state.</summary>
    public int ActiveDevices => _devices.Count;

    /// <summary>Room of the device table, the buffered events and the timers together (entries), used or not.</summary>
    internal int TableCapacity => _devices.EnsureCapacity(0) + _pending.EnsureCapacity(0) + _wakeups.EnsureCapacity(0);

    /// <summary>Events dropped because they were older than watermark − allowed lateness.</summary>
    public long TooLateEvents { get; private set; }

    /// <summary>Events matched so far (released by the watermark or taken late).</summary>
    public long MatchedEvents { get; private set; }

    /// <summary>
    /// Rules the matched events were tested against, summed: the rules the index offered each event plus the
    /// rule states of its device checked for <c>unless</c> and <c>revoke when</c> (only for events of a kind
    /// those clauses name). Divided by <see cref="MatchedEvents"/>, the cost of an event in rules.
    /// </summary>
    public long RulesTouched { get; private set; }

    /// <summary>Takes an event; it is matched once the watermark reaches its event time.</summary>
    public void OnEvent(DeviceEvent e, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(e);
        ArgumentNullException.ThrowIfNull(output);
        if (e.EventTime <= Watermark)
        {
            if (Watermark - e.EventTime > _lateness)
            {
                TooLateEvents++;
                return;
            }

            Process(e, output);
            return;
        }

        _pending.Enqueue(e, new PendingKey(e));
    }

    /// <summary>
    /// Advances event time: matches the buffered events at or before <paramref name="watermark"/>, fires the
    /// absence timers that are due and drops state that can no longer match. A lower watermark is ignored.
    /// </summary>
    public void OnWatermark(long watermark, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (watermark <= Watermark)
        {
            return;
        }

        Watermark = watermark;
        while (_pending.TryPeek(out var e, out var key) && key.Time <= watermark)
        {
            _pending.Dequeue();
            Process(e, output);
        }

        while (_wakeups.TryPeek(out var entry, out var at) && at <= watermark)
        {
            _wakeups.Dequeue();
            var dev = entry.Device;
            if (dev.Removed || dev.Generation != entry.Generation || dev.ScheduledWake != at)
            {
                continue;
            }

            dev.ScheduledWake = long.MaxValue;
            Wake(dev, watermark, output);
        }

        if (_sequenceWakeups.Count > 0)
        {
            ExpireSequences(watermark, output);
        }

        TrimIfSparse();
    }

    // Gives back the room of the device table and the queues once they hold less than a quarter of it (after
    // a burst, or once devices go idle), so idle devices cost nothing there either; the 4× margin keeps a
    // table that shrinks and refills from being rebuilt over and over.
    private void TrimIfSparse()
    {
        const int Floor = 1024;
        var capacity = _devices.EnsureCapacity(0);
        if (capacity > Floor && _devices.Count < capacity / 4)
        {
            _devices.TrimExcess(Math.Max(Floor, _devices.Count * 2));
        }

        if (_wakeups.EnsureCapacity(0) > Floor && _wakeups.Count < _wakeups.EnsureCapacity(0) / 4)
        {
            _wakeups.TrimExcess();
        }

        if (_pending.EnsureCapacity(0) > Floor && _pending.Count < _pending.EnsureCapacity(0) / 4)
        {
            _pending.TrimExcess();
        }
    }

    /// <summary>Moves the watermark to the end of time: everything buffered is matched and every timer fires.</summary>
    public void Flush(ICollection<AlertEvent> output) => OnWatermark(long.MaxValue, output);

    /// <summary>Estimated bytes of rule state held for devices (not counting buffered events).</summary>
    public long EstimateStateBytes()
    {
        long total = 0;
        foreach (var dev in _devices.Values)
        {
            total += EstimateBytes(dev);
        }

        return total;
    }

    /// <summary>Estimated bytes of rule state held for one device; 0 when it holds none.</summary>
    public long EstimateStateBytes(string deviceId) =>
        _devices.TryGetValue(deviceId, out var dev) ? EstimateBytes(dev) : 0;

    private static long EstimateBytes(DeviceState dev)
    {
        // dictionary entry + DeviceState + its slot array
        long bytes = 24 + 64 + 24 + (Unsafe.SizeOf<RuleSlot>() * (long)dev.Slots.Length);
        for (var i = 0; i < dev.SlotCount; i++)
        {
            bytes += dev.Slots[i].EstimateBytes();
        }

        return bytes;
    }

    private void Process(DeviceEvent e, ICollection<AlertEvent> output)
    {
        MatchedEvents++;
        var offered = _index.Lookup(e, out var kindBit);
        _devices.TryGetValue(e.DeviceId, out var dev);
        if (dev is not null && dev.Epoch != _epoch && !CatchUp(dev))
        {
            _devices.Remove(dev.DeviceId);
            _pool.Return(dev);
            dev = null;
        }

        if (dev is not null)
        {
            FireAbsent(dev, e.EventTime - 1, output);
            Revise(dev, e, kindBit, output);
        }

        RulesTouched += offered.Length;
        if (offered.Length > 0)
        {
            MapSlots(dev);
            try
            {
                for (var i = 0; i < offered.Length; i++)
                {
                    Evaluate(offered[i], ref dev, e, output);
                }
            }
            finally
            {
                UnmapSlots(dev);
            }
        }

        if (dev is not null)
        {
            Settle(dev);
        }

        MatchSequences(e, output);
    }

    // Fills _slotOf for the device's slots (they keep their positions until the device settles).
    private void MapSlots(DeviceState? dev)
    {
        if (_slotOf.Length < _rules.Length)
        {
            _slotOf = new int[_rules.Length];
            Array.Fill(_slotOf, -1);
        }

        if (dev is null)
        {
            return;
        }

        var slots = dev.Slots;
        for (var i = 0; i < dev.SlotCount; i++)
        {
            _slotOf[slots[i].Rule] = i;
        }
    }

    private void UnmapSlots(DeviceState? dev)
    {
        if (dev is null)
        {
            return;
        }

        var slots = dev.Slots;
        for (var i = 0; i < dev.SlotCount; i++)
        {
            _slotOf[slots[i].Rule] = -1;
        }
    }

    // What an event does to the state a device already holds: revokes its open alerts (first, so the event
    // that completes a new match does not revoke the alert it raises) and voids partial matches (unless).
    private void Revise(DeviceState dev, DeviceEvent e, ulong kindBit, ICollection<AlertEvent> output)
    {
        if ((dev.ReviseKinds & kindBit) == 0 && !dev.AnyVoid)
        {
            return; // no state of this device can be revoked or voided by an event of this kind
        }

        var revokeKinds = _index.RevokeKinds;
        var unlessKinds = _index.UnlessKinds;
        var touched = 0;
        for (var i = 0; i < dev.SlotCount; i++)
        {
            ref var s = ref dev.Slots[i];
            var checkRevoke = s.Open is not null && (revokeKinds[s.Rule] & kindBit) != 0;
            var checkUnless = s.Count > 0 && (unlessKinds[s.Rule] & kindBit) != 0;
            if (checkRevoke || checkUnless)
            {
                touched++;
            }

            var rule = _rules[s.Rule];
            if (checkRevoke && EventMatcher.Any(rule.Revoke, e))
            {
                for (var k = 0; k < s.OpenCount; k++)
                {
                    var open = s.Open![k];
                    output.Add(new AlertEvent(
                        AlertKind.Revoke, open.AlertId, rule.Id, rule.Version, rule.AlertType, rule.Priority, rule.Delay, rule.Info,
                        e.DeviceId, e.EventTime, open.FaultTime, [e.EventId]));
                }

                s.ClearOpen();
            }

            if (rule.Operator != PatternOperator.Absent && s.VoidBefore != long.MinValue && e.EventTime > s.VoidBefore)
            {
                s.RemoveBefore(_pool, s.VoidBefore);
                s.VoidBefore = long.MinValue;
            }

            if (checkUnless && s.Count > 0 && EventMatcher.Any(rule.Unless, e))
            {
                // voids every partial match whose first event is strictly before this one (applied once a later
                // event comes, so a match ending at this very time is not voided)
                s.VoidBefore = e.EventTime;
                dev.AnyVoid = true;
            }
        }

        RulesTouched += touched;
    }

    // Drops the device once it holds nothing; otherwise compacts its slots, refreshes its summaries and arms its
    // timer, in one pass over the slots.
    private void Settle(DeviceState dev)
    {
        var slots = dev.Slots;
        var revokeKinds = _index.RevokeKinds;
        var unlessKinds = _index.UnlessKinds;
        var next = long.MaxValue;
        var absentDue = long.MaxValue;
        var reviseKinds = 0UL;
        var anyVoid = false;
        var anyCandidates = false;
        var anyOpen = false;
        var kept = 0;
        for (var i = 0; i < dev.SlotCount; i++)
        {
            ref var s = ref slots[i];
            if (s.IsEmpty)
            {
                continue;
            }

            var rule = _rules[s.Rule];
            if (s.Count > 0)
            {
                anyCandidates = true;
                reviseKinds |= unlessKinds[s.Rule];
            }

            if (s.Pending)
            {
                var deadline = Sat(s.TriggerTime, rule.WindowMs);
                next = Math.Min(next, deadline);
                absentDue = Math.Min(absentDue, deadline);
            }
            else if (rule.Operator != PatternOperator.Absent && s.VoidBefore != long.MinValue)
            {
                anyVoid = true;
            }

            if (s.Open is not null)
            {
                anyOpen = true;
                reviseKinds |= revokeKinds[s.Rule];
            }

            if (kept != i)
            {
                slots[kept] = s;
            }

            kept++;
        }

        if (kept != dev.SlotCount)
        {
            Array.Clear(slots, kept, dev.SlotCount - kept);
            dev.SlotCount = kept;
            if (kept > 0)
            {
                dev.ShrinkIfSparse(_pool);
                slots = dev.Slots;
            }
        }

        if (kept == 0)
        {
            if (!dev.Removed)
            {
                _devices.Remove(dev.DeviceId);
                _pool.Return(dev);
            }

            return;
        }

        dev.AbsentDue = absentDue;
        dev.ReviseKinds = reviseKinds;
        dev.AnyVoid = anyVoid;

        // the candidate and open-alert expiries come from buffers elsewhere in memory: read them only when the
        // bounds say the timer may have to move earlier
        var bound = Math.Min(next, Math.Min(anyCandidates ? dev.CandidateDue : long.MaxValue, anyOpen ? dev.OpenDue : long.MaxValue));
        if (bound >= dev.ScheduledWake)
        {
            return;
        }

        var candidateDue = long.MaxValue;
        var openDue = long.MaxValue;
        for (var i = 0; i < kept; i++)
        {
            ref var s = ref slots[i];
            if (s.Count > 0)
            {
                candidateDue = Math.Min(candidateDue, Sat(s.Candidates![0].Time, _rules[s.Rule].WindowMs + _lateness + 1));
            }

            if (s.Open is not null)
            {
                // Sat is monotone: the earliest open alert gives the earliest expiry
                openDue = Math.Min(openDue, Sat(s.MinOpenAlertTime(), _openTtl));
            }
        }

        dev.CandidateDue = candidateDue;
        dev.OpenDue = openDue;
        next = Math.Min(next, Math.Min(candidateDue, openDue));
        if (next < dev.ScheduledWake)
        {
            dev.ScheduledWake = next;
            _wakeups.Enqueue((dev, dev.Generation), next);
        }
    }

    private static long Sat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private void Wake(DeviceState dev, long watermark, ICollection<AlertEvent> output)
    {
        if (dev.Epoch != _epoch && !CatchUp(dev))
        {
            _devices.Remove(dev.DeviceId);
            _pool.Return(dev);
            return;
        }

        FireAbsent(dev, watermark, output);
        for (var i = 0; i < dev.SlotCount; i++)
        {
            ref var s = ref dev.Slots[i];
            var rule = _rules[s.Rule];
            if (s.Count > 0 && watermark - rule.WindowMs - _lateness > s.Candidates![0].Time)
            {
                s.RemoveBefore(_pool, watermark - rule.WindowMs - _lateness);
                if (s.Count == 0)
                {
                    s.VoidBefore = long.MinValue;
                }
            }

            if (s.OpenCount > 0)
            {
                s.RemoveOpenUntil(watermark - _openTtl);
            }
        }

        Settle(dev);
    }

    // Fires the absence timers of a device whose deadline is at or before `until`.
    private void FireAbsent(DeviceState dev, long until, ICollection<AlertEvent> output)
    {
        if (until < dev.AbsentDue)
        {
            return;
        }

        for (var i = 0; i < dev.SlotCount; i++)
        {
            ref var s = ref dev.Slots[i];
            if (!s.Pending)
            {
                continue;
            }

            var rule = _rules[s.Rule];
            var deadline = Sat(s.TriggerTime, rule.WindowMs);
            if (deadline > until)
            {
                continue;
            }

            var trigger = s.TriggerId!;
            s.TriggerId = null;
            Raise(rule, dev, i, dev.DeviceId, [trigger], s.TriggerTime, deadline, output);
        }
    }

    private void Evaluate(int ruleIndex, ref DeviceState? dev, DeviceEvent e, ICollection<AlertEvent> output)
    {
        var rule = _rules[ruleIndex];
        var si = _slotOf[ruleIndex];
        if (rule.Operator == PatternOperator.Absent)
        {
            EvaluateAbsent(rule, ruleIndex, ref dev, si, e);
            return;
        }

        var steps = rule.Steps;
        var mask = 0;
        for (var j = 0; j < steps.Length; j++)
        {
            if (steps[j].Matches(e))
            {
                mask |= 1 << j;
            }
        }

        if (mask == 0)
        {
            return;
        }

        Candidate[]? candidates = null;
        var count = 0;
        if (si >= 0)
        {
            ref var s = ref dev!.Slots[si];
            if (s.Count > 0)
            {
                s.RemoveBefore(_pool, e.EventTime - rule.WindowMs);
            }

            candidates = s.Candidates;
            count = s.Count;
        }

        var matched = rule.Operator switch
        {
            PatternOperator.All => MatchAll(candidates, count, steps.Length, mask),
            PatternOperator.Seq => MatchSeq(candidates, count, steps.Length, mask),
            _ => count + 1 >= rule.Count && FillCount(count),
        };

        if (matched)
        {
            var n = rule.Operator == PatternOperator.Count ? rule.Count : steps.Length;
            var ids = new string[n];
            var first = e.EventTime;
            var c = 0;
            var sorted = _chosen.AsSpan(0, n);
            sorted.Sort();
            foreach (var k in sorted)
            {
                if (k >= 0)
                {
                    ids[c++] = candidates![k].Id;
                    first = Math.Min(first, candidates[k].Time);
                }
            }

            ids[c] = e.EventId;
            if (si >= 0)
            {
                dev!.Slots[si].Clear(_pool); // skip past the last event: everything at or before it is consumed
            }

            if (rule.Revocable)
            {
                dev ??= GetOrCreate(e);
                if (si < 0)
                {
                    si = dev.Create(_pool, ruleIndex);
                    _slotOf[ruleIndex] = si;
                }
            }

            Raise(rule, dev, si, e.DeviceId, ids, first, e.EventTime, output);
            return;
        }

        if (rule.Operator == PatternOperator.Seq)
        {
            // the newest event can only be a later step, never the last one of a future match
            mask &= ~(1 << (steps.Length - 1));
            if (mask == 0)
            {
                return;
            }
        }

        dev ??= GetOrCreate(e);
        if (si < 0)
        {
            si = dev.Create(_pool, ruleIndex);
            _slotOf[ruleIndex] = si;
        }

        dev.Slots[si].Add(_pool, e.EventTime, e.EventId, mask);
        dev.CandidateDue = Math.Min(dev.CandidateDue, Sat(e.EventTime, rule.WindowMs + _lateness + 1));
    }

    private void EvaluateAbsent(CompiledRule rule, int ruleIndex, ref DeviceState? dev, int si, DeviceEvent e)
    {
        var pending = false;
        if (si >= 0)
        {
            ref var s = ref dev!.Slots[si];
            if (s.Pending && rule.Steps[1].Matches(e))
            {
                s.TriggerId = null;
            }

            pending = s.Pending;
        }

        if (!pending && rule.Steps[0].Matches(e))
        {
            dev ??= GetOrCreate(e);
            if (si < 0)
            {
                si = dev.Create(_pool, ruleIndex);
                _slotOf[ruleIndex] = si;
            }

            ref var s = ref dev.Slots[si];
            s.TriggerTime = e.EventTime;
            s.TriggerId = e.EventId;
            dev.AbsentDue = Math.Min(dev.AbsentDue, Sat(e.EventTime, rule.WindowMs));
        }
    }

    // A device's state belongs to the source partition of the event that created it (the events topic is
    // keyed by device, so all of a device's events come from one partition).
    private DeviceState GetOrCreate(DeviceEvent e)
    {
        ref var slot = ref CollectionsMarshal.GetValueRefOrAddDefault(_devices, e.DeviceId, out var exists);
        if (!exists)
        {
            slot = _pool.RentDevice(e.DeviceId, e.Topic, e.Partition);
            slot.Epoch = _epoch;
        }

        return slot!;
    }

    // Raises a Generate; a revocable rule's alert is kept open in the device's slot `si`.
    private void Raise(CompiledRule rule, DeviceState? dev, int si, string deviceId, string[] ids, long faultTime, long alertTime, ICollection<AlertEvent> output)
    {
        var id = AlertIds.ComputeValue(rule.Id, rule.Version, deviceId, ids.AsSpan());
        output.Add(new AlertEvent(
            AlertKind.Generate, AlertIds.Format(id), rule.Id, rule.Version, rule.AlertType, rule.Priority, rule.Delay, rule.Info,
            deviceId, alertTime, faultTime, ids));
        if (rule.Revocable)
        {
            ref var s = ref dev!.Slots[si];
            s.AddOpen(new OpenAlert(id, faultTime, alertTime));
            dev.OpenDue = Math.Min(dev.OpenDue, Sat(alertTime, _openTtl));
            dev.ReviseKinds |= _index.RevokeKinds[s.Rule]; // an absence alert raised before this event's revision
        }
    }

    // count: the buffered candidates (exactly N-1 after the window prune) and the new event
    private bool FillCount(int n)
    {
        for (var k = 0; k < n; k++)
        {
            _chosen[k] = k;
        }

        _chosen[n] = -1;
        return true;
    }

    // seq: the earliest candidates for steps 0..n-2 in order, the new event as step n-1
    private bool MatchSeq(Candidate[]? candidates, int count, int n, int mask)
    {
        if ((mask & (1 << (n - 1))) == 0)
        {
            return false;
        }

        var pos = 0;
        for (var j = 0; j < n - 1; j++)
        {
            while (pos < count && (candidates![pos].Mask & (1 << j)) == 0)
            {
                pos++;
            }

            if (pos >= count)
            {
                return false;
            }

            _chosen[j] = pos++;
        }

        _chosen[n - 1] = -1;
        return true;
    }

    // all: distinct events for every step, the earliest candidates first; the new event must take part
    private bool MatchAll(Candidate[]? candidates, int count, int n, int mask)
    {
        var cover = mask;
        for (var k = 0; k < count; k++)
        {
            cover |= candidates![k].Mask;
        }

        var full = n == 32 ? -1 : (1 << n) - 1;
        if ((cover & full) != full)
        {
            return false;
        }

        var eUsed = false;
        return Assign(0);

        bool Assign(int slot)
        {
            if (slot == n)
            {
                return eUsed;
            }

            var bit = 1 << slot;
            for (var k = 0; k < count; k++)
            {
                if ((candidates![k].Mask & bit) != 0 && !Taken(k, slot))
                {
                    _chosen[slot] = k;
                    if (Assign(slot + 1))
                    {
                        return true;
                    }
                }
            }

            if ((mask & bit) != 0 && !eUsed)
            {
                _chosen[slot] = -1;
                eUsed = true;
                if (Assign(slot + 1))
                {
                    return true;
                }

                eUsed = false;
            }

            return false;
        }

        bool Taken(int k, int slot)
        {
            for (var j = 0; j < slot; j++)
            {
                if (_chosen[j] == k)
                {
                    return true;
                }
            }

            return false;
        }
    }

    /// <summary>
    /// Release order of buffered events: event time, then device id, then event id (ordinal). The time is kept
    /// in the key, so the queue compares most pairs without touching the events.
    /// </summary>
    private readonly struct PendingKey(DeviceEvent e) : IComparable<PendingKey>
    {
        public readonly long Time = e.EventTime;
        private readonly DeviceEvent _event = e;

        public int CompareTo(PendingKey other)
        {
            if (Time != other.Time)
            {
                return Time < other.Time ? -1 : 1;
            }

            var c = string.CompareOrdinal(_event.DeviceId, other._event.DeviceId);
            return c != 0 ? c : string.CompareOrdinal(_event.EventId, other._event.EventId);
        }
    }
}
