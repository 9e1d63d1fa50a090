using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Language;

namespace Alerting.Rules.Tests.Reference;

/// <summary>
/// The straightforward matcher the optimised <see cref="RuleEngine"/> is checked against: one object per device
/// and per rule state, candidates in growable arrays, events offered through a kind/field index of its own.
/// Same semantics, same alert ids, same snapshot format; kept simple rather than fast.
/// <see cref="OnEvent"/> buffers an event; <see cref="OnWatermark"/> releases every buffered event at or
/// before the watermark in (event time, device id, event id) order.
/// </summary>
internal sealed partial class ReferenceEngine
{
    private readonly Dictionary<string, DeviceState> _devices = new(StringComparer.Ordinal);
    private readonly PriorityQueue<DeviceEvent, DeviceEvent> _pending = new(EventOrder.Instance);
    private readonly PriorityQueue<DeviceState, long> _wakeups = new();
    private readonly long _lateness;
    private readonly long _openTtl;
    private readonly int[] _chosen = new int[Parser.MaxSteps];
    private readonly RuleIndex _index;

    public ReferenceEngine(RuleSet rules, RuleEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rules);
        Rules = rules;
        Options = options ?? new RuleEngineOptions();
        _lateness = (long)Options.AllowedLateness.TotalMilliseconds;
        _openTtl = (long)Options.OpenAlertTimeToLive.TotalMilliseconds;
        _index = new RuleIndex(rules.Rules);
    }

    public RuleSet Rules { get; }

    public RuleEngineOptions Options { get; }

    /// <summary>The highest watermark seen (Unix ms); <see cref="long.MinValue"/> before the first.</summary>
    public long Watermark { get; private set; } = long.MinValue;

    /// <summary>Events waiting for the watermark.</summary>
    public int BufferedEvents => _pending.Count;

    /// <summary>Devices that hold rule state.</summary>
    public int ActiveDevices => _devices.Count;

    /// <summary>Events dropped because they were older than watermark − allowed lateness.</summary>
    public long TooLateEvents { get; private set; }

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

        _pending.Enqueue(e, e);
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
        while (_pending.TryPeek(out var e, out _) && e.EventTime <= watermark)
        {
            _pending.Dequeue();
            Process(e, output);
        }

        while (_wakeups.TryPeek(out var dev, out var at) && at <= watermark)
        {
            _wakeups.Dequeue();
            if (dev.Removed || dev.ScheduledWake != at)
            {
                continue;
            }

            dev.ScheduledWake = long.MaxValue;
            Wake(dev, watermark, output);
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
        // dictionary entry + DeviceState + its array
        long bytes = 24 + 64 + 24 + (8L * dev.Rules.Length);
        for (var i = 0; i < dev.RuleCount; i++)
        {
            bytes += dev.Rules[i].EstimateBytes();
        }

        return bytes;
    }

    private void Process(DeviceEvent e, ICollection<AlertEvent> output)
    {
        _devices.TryGetValue(e.DeviceId, out var dev);
        if (dev is not null)
        {
            FireAbsent(dev, e.EventTime - 1, output);
            Revise(dev, e, output);
        }

        _index.Lookup(e, out var unkeyed, out var keyed, out var anyKind);
        foreach (var r in unkeyed)
        {
            Evaluate(r, ref dev, e, output);
        }

        foreach (var r in keyed)
        {
            Evaluate(r, ref dev, e, output);
        }

        foreach (var r in anyKind)
        {
            Evaluate(r, ref dev, e, output);
        }

        if (dev is not null)
        {
            Settle(dev);
        }
    }

    // What an event does to the state a device already holds: revokes its open alerts (first, so the event
    // that completes a new match does not revoke the alert it raises) and voids partial matches (unless).
    private void Revise(DeviceState dev, DeviceEvent e, ICollection<AlertEvent> output)
    {
        for (var i = 0; i < dev.RuleCount; i++)
        {
            var s = dev.Rules[i];
            var rule = Rules.Rules[s.RuleIndex];
            if (s.OpenCount > 0 && EventMatcher.Any(rule.Revoke, e))
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

            if (s.VoidBefore != long.MinValue && e.EventTime > s.VoidBefore)
            {
                s.RemoveBefore(s.VoidBefore);
                s.VoidBefore = long.MinValue;
            }

            if (s.Count > 0 && rule.Unless.Length > 0 && EventMatcher.Any(rule.Unless, e))
            {
                // voids every partial match whose first event is strictly before this one (applied once a later
                // event comes, so a match ending at this very time is not voided)
                s.VoidBefore = e.EventTime;
            }
        }
    }

    private void Settle(DeviceState dev)
    {
        if (dev.Compact())
        {
            if (!dev.Removed)
            {
                _devices.Remove(dev.DeviceId);
                dev.Removed = true;
            }

            return;
        }

        if (dev.Removed)
        {
            _devices[dev.DeviceId] = dev;
            dev.Removed = false;
            dev.ScheduledWake = long.MaxValue;
        }

        var next = NextWake(dev);
        if (next < dev.ScheduledWake)
        {
            dev.ScheduledWake = next;
            _wakeups.Enqueue(dev, next);
        }
    }

    private long NextWake(DeviceState dev)
    {
        var next = long.MaxValue;
        for (var i = 0; i < dev.RuleCount; i++)
        {
            var s = dev.Rules[i];
            var rule = Rules.Rules[s.RuleIndex];
            if (s.Count > 0)
            {
                next = Math.Min(next, Sat(s.Candidates![0].Time, rule.WindowMs + _lateness + 1));
            }

            if (s.Pending)
            {
                next = Math.Min(next, Sat(s.TriggerTime, rule.WindowMs));
            }

            if (s.OpenCount > 0)
            {
                // Sat is monotone: the earliest open alert gives the earliest expiry
                next = Math.Min(next, Sat(s.MinOpenAlertTime, _openTtl));
            }
        }

        return next;
    }

    private static long Sat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;

    private void Wake(DeviceState dev, long watermark, ICollection<AlertEvent> output)
    {
        FireAbsent(dev, watermark, output);
        for (var i = 0; i < dev.RuleCount; i++)
        {
            var s = dev.Rules[i];
            var rule = Rules.Rules[s.RuleIndex];
            if (s.Count > 0 && watermark - rule.WindowMs - _lateness > s.Candidates![0].Time)
            {
                s.RemoveBefore(watermark - rule.WindowMs - _lateness);
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
        for (var i = 0; i < dev.RuleCount; i++)
        {
            var s = dev.Rules[i];
            if (!s.Pending)
            {
                continue;
            }

            var rule = Rules.Rules[s.RuleIndex];
            var deadline = Sat(s.TriggerTime, rule.WindowMs);
            if (deadline > until)
            {
                continue;
            }

            s.Pending = false;
            Raise(rule, s, dev.DeviceId, [s.TriggerId!], s.TriggerTime, deadline, output);
            s.TriggerId = null;
        }
    }

    private void Evaluate(int ruleIndex, ref DeviceState? dev, DeviceEvent e, ICollection<AlertEvent> output)
    {
        var rule = Rules.Rules[ruleIndex];
        var s = dev?.Find(ruleIndex);
        if (rule.Operator == PatternOperator.Absent)
        {
            EvaluateAbsent(rule, ruleIndex, ref dev, ref s, e);
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

        if (s is not null && s.Count > 0)
        {
            s.RemoveBefore(e.EventTime - rule.WindowMs);
        }

        var matched = rule.Operator switch
        {
            PatternOperator.All => MatchAll(s, steps.Length, mask),
            PatternOperator.Seq => MatchSeq(s, steps.Length, mask),
            _ => (s?.Count ?? 0) + 1 >= rule.Count && FillCount(s),
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
                    ids[c++] = s!.Candidates![k].Id;
                    first = Math.Min(first, s.Candidates[k].Time);
                }
            }

            ids[c] = e.EventId;
            s?.Clear(); // skip past the last event: everything at or before it is consumed
            if (rule.Revocable)
            {
                dev ??= GetOrCreate(e);
                s ??= dev.Find(ruleIndex) ?? dev.Create(ruleIndex);
            }

            Raise(rule, s, e.DeviceId, ids, first, e.EventTime, output);
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
        s ??= dev.Find(ruleIndex) ?? dev.Create(ruleIndex);
        s.Add(e.EventTime, e.EventId, mask);
    }

    private void EvaluateAbsent(CompiledRule rule, int ruleIndex, ref DeviceState? dev, ref RuleState? s, DeviceEvent e)
    {
        if (s is not null && s.Pending && rule.Steps[1].Matches(e))
        {
            s.Pending = false;
            s.TriggerId = null;
        }

        if ((s is null || !s.Pending) && rule.Steps[0].Matches(e))
        {
            dev ??= GetOrCreate(e);
            s ??= dev.Find(ruleIndex) ?? dev.Create(ruleIndex);
            s.Pending = true;
            s.TriggerTime = e.EventTime;
            s.TriggerId = e.EventId;
        }
    }

    // A device's state belongs to the source partition of the event that created it (the events topic is
    // keyed by device, so all of a device's events come from one partition).
    private DeviceState GetOrCreate(DeviceEvent e)
    {
        if (!_devices.TryGetValue(e.DeviceId, out var dev))
        {
            dev = new DeviceState(e.DeviceId, e.Topic, e.Partition);
            _devices[e.DeviceId] = dev;
        }

        return dev;
    }

    private void Raise(CompiledRule rule, RuleState? s, string deviceId, string[] ids, long faultTime, long alertTime, ICollection<AlertEvent> output)
    {
        var alertId = AlertIds.Compute(rule.Id, rule.Version, deviceId, ids);
        output.Add(new AlertEvent(
            AlertKind.Generate, alertId, rule.Id, rule.Version, rule.AlertType, rule.Priority, rule.Delay, rule.Info,
            deviceId, alertTime, faultTime, ids));
        if (rule.Revocable)
        {
            s!.AddOpen(alertId, faultTime, alertTime);
        }
    }

    // count: the buffered candidates (exactly N-1 after the window prune) and the new event
    private bool FillCount(RuleState? s)
    {
        var n = s?.Count ?? 0;
        for (var k = 0; k < n; k++)
        {
            _chosen[k] = k;
        }

        _chosen[n] = -1;
        return true;
    }

    // seq: the earliest candidates for steps 0..n-2 in order, the new event as step n-1
    private bool MatchSeq(RuleState? s, int n, int mask)
    {
        if ((mask & (1 << (n - 1))) == 0)
        {
            return false;
        }

        var count = s?.Count ?? 0;
        var pos = 0;
        for (var j = 0; j < n - 1; j++)
        {
            while (pos < count && (s!.Candidates![pos].Mask & (1 << j)) == 0)
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
    private bool MatchAll(RuleState? s, int n, int mask)
    {
        var cover = mask;
        var count = s?.Count ?? 0;
        for (var k = 0; k < count; k++)
        {
            cover |= s!.Candidates![k].Mask;
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
                if ((s!.Candidates![k].Mask & bit) != 0 && !Taken(k, slot))
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

    /// <summary>Release order of buffered events: event time, then device id, then event id (ordinal).</summary>
    private sealed class EventOrder : IComparer<DeviceEvent>
    {
        public static readonly EventOrder Instance = new();

        public int Compare(DeviceEvent? x, DeviceEvent? y)
        {
            var c = x!.EventTime.CompareTo(y!.EventTime);
            if (c != 0)
            {
                return c;
            }

            c = string.CompareOrdinal(x.DeviceId, y.DeviceId);
            return c != 0 ? c : string.CompareOrdinal(x.EventId, y.EventId);
        }
    }
}
