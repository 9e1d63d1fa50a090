using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>An event a partial match holds, and which of its rule's steps it can fill.</summary>
/// <param name="EventId">The event's id.</param>
/// <param name="EventTime">Its event time (Unix ms).</param>
/// <param name="Steps">The rule's steps it matches (0-based, in the order the rule lists them).</param>
public sealed record PartialMatchEvent(string EventId, long EventTime, IReadOnlyList<int> Steps);

/// <summary>The partial match a pattern rule holds for a device: the events buffered so far, none of which has completed a match yet.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="RuleVersion">Its version.</param>
/// <param name="Operator">Its pattern operator.</param>
/// <param name="StepCount">How many steps the pattern has (for <c>count(E) &gt;= N</c>: N).</param>
/// <param name="Events">The buffered events, in event-time order.</param>
/// <param name="ExpiresAt">When the earliest of them falls out of the window (first event + window): a match must complete by then.</param>
/// <param name="VoidBefore">Partial matches starting before this time were voided by an <c>unless</c> event (null when none).</param>
public sealed record PartialMatchView(string RuleId, int RuleVersion, PatternOperator Operator, int StepCount, IReadOnlyList<PartialMatchEvent> Events, long ExpiresAt, long? VoidBefore);

/// <summary>A pending absence timer: the trigger seen, the expected event not yet.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="RuleVersion">Its version.</param>
/// <param name="TriggerId">The event that started the timer.</param>
/// <param name="TriggerTime">Its event time.</param>
/// <param name="Deadline">When the rule fires unless the expected event comes first.</param>
public sealed record AbsenceTimerView(string RuleId, int RuleVersion, string TriggerId, long TriggerTime, long Deadline);

/// <summary>An alert the matcher raised for a device and keeps, so a later event can revoke it.</summary>
/// <param name="RuleId">The rule.</param>
/// <param name="RuleVersion">Its version.</param>
/// <param name="AlertId">The alert's id.</param>
/// <param name="FaultTime">Its fault time.</param>
/// <param name="AlertTime">Its alert time.</param>
public sealed record OpenAlertView(string RuleId, int RuleVersion, string AlertId, long FaultTime, long AlertTime);

/// <summary>What the matcher holds for one device: a read-only copy, taken on the engine's thread.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Watermark">The engine's watermark: events at or before it have been matched.</param>
/// <param name="RulesVersion">The version of the rule set in force.</param>
/// <param name="AwaitingWatermark">The device's events buffered until the watermark passes them (not matched yet).</param>
/// <param name="PartialMatches">Pattern rules with buffered events.</param>
/// <param name="AbsenceTimers">Pending absence timers.</param>
/// <param name="OpenAlerts">Raised alerts a <c>revoke when</c> event may still revoke.</param>
/// <param name="StateBytes">Estimated bytes of the device's rule state.</param>
public sealed record DeviceInspection(
    string DeviceId,
    long Watermark,
    long RulesVersion,
    int AwaitingWatermark,
    IReadOnlyList<PartialMatchView> PartialMatches,
    IReadOnlyList<AbsenceTimerView> AbsenceTimers,
    IReadOnlyList<OpenAlertView> OpenAlerts,
    long StateBytes)
{
    /// <summary>Whether the matcher holds anything for the device.</summary>
    public bool IsEmpty => AwaitingWatermark == 0 && PartialMatches.Count == 0 && AbsenceTimers.Count == 0 && OpenAlerts.Count == 0;
}

/// <summary>Looking at what the engine holds for a device, for people (the web view); nothing it returns is live state.</summary>
public sealed partial class RuleEngine
{
    /// <summary>
    /// What the engine holds for <paramref name="deviceId"/>: its partial matches, absence timers and open alerts under
    /// the rule set in force, and how many of its events wait for the watermark. Costs the device's state plus a scan
    /// of the buffered events; changes nothing the engine will do (a device not touched since a rule swap has its
    /// states carried over first, as its next event would).
    /// </summary>
    public DeviceInspection Inspect(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var awaiting = 0;
        foreach (var (e, _) in _pending.UnorderedItems)
        {
            if (string.Equals(e.DeviceId, deviceId, StringComparison.Ordinal))
            {
                awaiting++;
            }
        }

        var partial = new List<PartialMatchView>();
        var timers = new List<AbsenceTimerView>();
        var open = new List<OpenAlertView>();
        if (!_devices.TryGetValue(deviceId, out var dev) || (dev.Epoch != _epoch && !CatchUp(dev)))
        {
            if (dev is not null)
            {
                _devices.Remove(deviceId);
                _pool.Return(dev);
            }

            InspectSequences(deviceId, partial, open);
            return new DeviceInspection(deviceId, Watermark, Rules.Version, awaiting, partial, timers, open, 0);
        }

        for (var i = 0; i < dev.SlotCount; i++)
        {
            var slot = dev.Slots[i];
            var rule = _rules[slot.Rule];
            if (slot.Candidates is { } candidates)
            {
                var events = new PartialMatchEvent[slot.Count];
                for (var k = 0; k < slot.Count; k++)
                {
                    events[k] = new PartialMatchEvent(candidates[k].Id, candidates[k].Time, StepsOf(candidates[k].Mask));
                }

                var steps = rule.Operator == PatternOperator.Count ? rule.Count : rule.Steps.Length;
                var voidBefore = slot.VoidBefore == long.MinValue ? (long?)null : slot.VoidBefore;
                partial.Add(new PartialMatchView(rule.Id, rule.Version, rule.Operator, steps, events, Sat(candidates[0].Time, rule.WindowMs), voidBefore));
            }

            if (slot.Pending)
            {
                timers.Add(new AbsenceTimerView(rule.Id, rule.Version, slot.TriggerId!, slot.TriggerTime, Sat(slot.TriggerTime, rule.WindowMs)));
            }

            for (var k = 0; k < slot.OpenCount; k++)
            {
                var o = slot.Open![k];
                open.Add(new OpenAlertView(rule.Id, rule.Version, o.AlertId, o.FaultTime, o.AlertTime));
            }
        }

        InspectSequences(deviceId, partial, open);
        return new DeviceInspection(deviceId, Watermark, Rules.Version, awaiting, partial, timers, open, EstimateBytes(dev));
    }

    // The partial matches and open alerts of the sequence rules (their own state, beside the slots).
    private void InspectSequences(string deviceId, List<PartialMatchView> partial, List<OpenAlertView> open)
    {
        if (!_sequenceDevices.TryGetValue(deviceId, out var dev))
        {
            return;
        }

        SequenceMatchers();
        foreach (var st in dev.States)
        {
            if (Resolve(st) is not { } matcher)
            {
                continue; // its rule left the set: dropped at the device's next settle
            }

            var rule = matcher.Rule;
            foreach (var run in st.Runs)
            {
                if (run.Dead || run.Events.Count == 0)
                {
                    continue;
                }

                var events = run.Events.Select(e => new PartialMatchEvent(e.Id, e.Time, [e.Step])).ToArray();
                partial.Add(new PartialMatchView(rule.Id, rule.Version, rule.Operator, rule.Sequence!.Steps.Length, events, Sat(run.Start, rule.WindowMs), null));
            }

            foreach (var o in st.Open)
            {
                open.Add(new OpenAlertView(rule.Id, rule.Version, o.AlertId, o.FaultTime, o.AlertTime));
            }
        }
    }

    private static int[] StepsOf(int mask)
    {
        var steps = new int[System.Numerics.BitOperations.PopCount((uint)mask)];
        var at = 0;
        for (var bit = 0; bit < 32 && at < steps.Length; bit++)
        {
            if ((mask & (1 << bit)) != 0)
            {
                steps[at++] = bit;
            }
        }

        return steps;
    }
}
