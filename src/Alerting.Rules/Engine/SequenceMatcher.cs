using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>An event a partial match took: its id, time, position in the device's events offered to the rule, and step.</summary>
internal readonly record struct TakenEvent(string Id, long Time, long Seq, int Step);

/// <summary>An alert of a sequence rule still open for <c>revoke when</c>.</summary>
internal readonly record struct SequenceOpenAlert(string AlertId, long FaultTime, long AlertTime);

/// <summary>
/// One partial match of a sequence rule: the step it is at, how many events that step has taken, the events taken
/// so far and the values later steps read from them. <see cref="Complete"/>: every step is satisfied and a trailing
/// <c>not followed by</c> holds it until its window ends.
/// </summary>
internal sealed class SequenceRun
{
    public int Stage { get; set; }

    public int Count { get; set; }

    public bool Complete { get; set; }

    public bool Dead { get; set; }

    public long Start => Events[0].Time;

    public long FirstSeq => Events[0].Seq;

    public long LastSeq => Events[^1].Seq;

    public List<TakenEvent> Events { get; init; } = [];

    public FieldValue[] Captures { get; init; } = [];

    public SequenceRun Clone() => new()
    {
        Stage = Stage,
        Count = Count,
        Complete = Complete,
        Events = [.. Events],
        Captures = (FieldValue[])Captures.Clone(),
    };
}

/// <summary>What one sequence rule holds for one device: its partial matches, its event counter and its open alerts.</summary>
internal sealed class SequenceState(string ruleId, int ruleVersion)
{
    /// <summary>The rule (id and version) the state belongs to: a swap that keeps them keeps the state.</summary>
    public string RuleId { get; } = ruleId;

    public int RuleVersion { get; } = ruleVersion;

    /// <summary>The rule's matcher under <see cref="ResolvedFor"/> (null: the rule is not in that set).</summary>
    public SequenceMatcher? Matcher { get; set; }

    public RuleSet? ResolvedFor { get; set; }

    /// <summary>Events of the device offered to the rule so far (numbers them for contiguity and skipping).</summary>
    public long Seq { get; set; }

    public List<SequenceRun> Runs { get; } = [];

    public List<SequenceOpenAlert> Open { get; } = [];

    public bool IsEmpty => Runs.Count == 0 && Open.Count == 0;
}

/// <summary>Counters of the sequence automaton, read by the service.</summary>
internal sealed class SequenceCounters
{
    /// <summary>Partial matches not kept because the rule and device already held the most allowed.</summary>
    public long PartialMatchesDropped;

    /// <summary>Matches not raised under <c>skip none max N</c> because one event completed more than N.</summary>
    public long MatchesDropped;
}

/// <summary>
/// The sequence automaton of one <see cref="PatternOperator.Sequence"/> rule, in the spirit of Flink CEP's NFA:
/// plain C#, no state of its own (a device's state is a <see cref="SequenceState"/>). Fed a device's events in
/// event-time order, it advances every partial match, starts one at every event the first step takes, raises
/// full matches (Generate) and, when the window of a partial match runs out, its timeout (Timeout), then applies
/// the rule's skip strategy. The semantics are written in templates/README.md.
/// </summary>
internal sealed class SequenceMatcher
{
    private readonly CompiledRule _rule;
    private readonly SequencePattern _p;
    private readonly long _openTtl;
    private readonly int _maxRuns;
    private readonly SequenceCounters _counters;
    private readonly List<SequenceRun> _next = [];
    private readonly List<SequenceRun> _completed = [];

    public SequenceMatcher(CompiledRule rule, long openTtl, int maxRuns, SequenceCounters counters)
    {
        _rule = rule;
        _p = rule.Sequence!;
        _openTtl = openTtl;
        _maxRuns = maxRuns;
        _counters = counters;
    }

    public CompiledRule Rule => _rule;

    /// <summary>Whether the event starts a partial match (so a device without state needs one).</summary>
    public bool Starts(DeviceEvent e)
    {
        SequenceCaptures.Current = null;
        return _p.Steps[0].Matcher.Matches(e);
    }

    /// <summary>The earliest watermark (before allowed lateness) at which something of the state is due.</summary>
    public long Due(SequenceState st, long lateness)
    {
        var due = long.MaxValue;
        if (st.Runs.Count > 0)
        {
            // runs are kept in start order: the first ends first
            due = Sat(Sat(st.Runs[0].Start, _rule.WindowMs), lateness + 1);
        }

        foreach (var o in st.Open)
        {
            due = Math.Min(due, Sat(o.AlertTime, _openTtl));
        }

        return due;
    }

    /// <summary>Matches one event of the device (events come in event-time order).</summary>
    public void OnEvent(SequenceState st, DeviceEvent e, ICollection<AlertEvent> output)
    {
        // windows that ended before this event end first
        Expire(st, e.DeviceId, e.EventTime - 1, output);
        var seq = ++st.Seq;
        if (st.Open.Count > 0 && _p.Revoke.Length > 0 && EventMatcher.Any(_p.Revoke, e))
        {
            foreach (var open in st.Open)
            {
                output.Add(new AlertEvent(
                    AlertKind.Revoke, open.AlertId, _rule.Id, _rule.Version, _rule.AlertType, _rule.Priority, _rule.Delay, _rule.Info,
                    e.DeviceId, e.EventTime, open.FaultTime, [e.EventId]));
            }

            st.Open.Clear();
        }

        _next.Clear();
        _completed.Clear();
        try
        {
            foreach (var run in st.Runs)
            {
                Advance(run, e, seq);
            }

            SequenceCaptures.Current = null;
            if (_p.Steps[0].Matcher.Matches(e))
            {
                var run = new SequenceRun { Captures = new FieldValue[_p.CaptureCount] };
                Take(run, 0, e, seq);
                Place(run);
            }
        }
        finally
        {
            SequenceCaptures.Current = null;
        }

        var raised = 0;
        foreach (var m in _completed)
        {
            if (m.Dead)
            {
                continue;
            }

            if (_p.Skip == SkipStrategy.None && raised >= _p.MaxMatchesPerEvent)
            {
                _counters.MatchesDropped++;
                continue;
            }

            raised++;
            RaiseMatch(st, m, e.DeviceId, e.EventTime, output);
        }

        if (_p.Unless.Length > 0 && EventMatcher.Any(_p.Unless, e))
        {
            // voids every partial match that began strictly before the event
            foreach (var r in _next)
            {
                r.Dead |= r.Start < e.EventTime;
            }
        }

        var kept = st.Runs;
        kept.Clear();
        foreach (var r in _next)
        {
            if (r.Dead)
            {
                continue;
            }

            if (kept.Count >= _maxRuns)
            {
                _counters.PartialMatchesDropped++;
                continue;
            }

            kept.Add(r);
        }

        _next.Clear();
        _completed.Clear();
    }

    /// <summary>
    /// Ends the partial matches whose window ended at or before <paramref name="until"/> (a held complete match is
    /// raised, another raises its timeout when the rule has one) and forgets open alerts raised at or before
    /// <paramref name="openUntil"/>.
    /// </summary>
    public void Expire(SequenceState st, string deviceId, long until, ICollection<AlertEvent> output, long openUntil = long.MinValue)
    {
        if (openUntil != long.MinValue)
        {
            st.Open.RemoveAll(o => o.AlertTime <= openUntil);
        }

        _completed.Clear();
        var runs = st.Runs;
        if (runs.Count == 0 || Sat(runs[0].Start, _rule.WindowMs) > until)
        {
            return;
        }

        var ended = 0;
        while (ended < runs.Count && Sat(runs[ended].Start, _rule.WindowMs) <= until)
        {
            ended++;
        }

        // first the held full matches (their skip strategy may discard partial matches ending with them), then
        // the timeouts of the partial matches left
        var raised = 0;
        for (var i = 0; i < ended; i++)
        {
            var r = runs[i];
            var deadline = Sat(r.Start, _rule.WindowMs);
            if (r.Dead || !r.Complete)
            {
                continue;
            }

            if (_p.Skip == SkipStrategy.None && raised >= _p.MaxMatchesPerEvent)
            {
                _counters.MatchesDropped++;
                continue;
            }

            raised++;
            _next.Clear();
            _next.AddRange(runs);
            RaiseMatch(st, r, deviceId, deadline, output);
        }

        for (var i = 0; i < ended && _p.TimeoutAlertType is { } type; i++)
        {
            var r = runs[i];
            var deadline = Sat(r.Start, _rule.WindowMs);
            if (!r.Dead && !r.Complete)
            {
                var ids = r.Events.Select(x => x.Id).ToArray();
                var alertId = AlertIds.ComputeTimeout(_rule.Id, _rule.Version, deviceId, ids);
                output.Add(new AlertEvent(
                    AlertKind.Timeout, alertId, _rule.Id, _rule.Version, type, _p.TimeoutPriority, _rule.Delay, _rule.Info,
                    deviceId, deadline, r.Start, ids));
                Open(st, alertId, r.Start, deadline);
            }
        }

        _next.Clear();
        runs.RemoveRange(0, ended);
        runs.RemoveAll(r => r.Dead);
    }

    // One partial match meets the event: takes it (into its own step again, or into a later step), ignores it, or ends.
    private void Advance(SequenceRun run, DeviceEvent e, long seq)
    {
        if (run.Dead)
        {
            return;
        }

        SequenceCaptures.Current = run.Captures;
        var steps = _p.Steps;
        var n = steps.Length;
        if (run.Complete)
        {
            if (_p.TrailingNotFollowedBy.Length > 0 && EventMatcher.Any(_p.TrailingNotFollowedBy, e))
            {
                run.Dead = true;
                return;
            }

            var last = steps[n - 1];
            if (!last.Reluctant && run.Count < last.Max && last.Matcher.Matches(e))
            {
                Take(run, n - 1, e, seq);
            }

            _next.Add(run);
            return;
        }

        var s = run.Stage;
        var step = steps[s];
        var k = run.Count;
        var adjacent = run.LastSeq + 1 == seq;
        var canProceed = k >= step.Min && s + 1 < n;
        if (canProceed)
        {
            var following = steps[s + 1];
            if ((adjacent && following.NotNext.Length > 0 && EventMatcher.Any(following.NotNext, e))
                || (following.NotFollowedBy.Length > 0 && EventMatcher.Any(following.NotFollowedBy, e)))
            {
                run.Dead = true;
                return;
            }
        }

        var loop = k < step.Max && step.Matcher.Matches(e);
        var target = -1;
        if (canProceed && !(loop && !step.Reluctant))
        {
            for (var t = s + 1; t < n; t++)
            {
                var ts = steps[t];
                if ((ts.Contiguity != Contiguity.Strict || adjacent) && ts.Matcher.Matches(e))
                {
                    target = t;
                    break;
                }

                if (ts.Min > 0)
                {
                    break;
                }
            }
        }

        // the event is ignored when the match can still go on later: another event for this step, or a
        // following step that need not come next
        var canWait = k < step.Max || (canProceed && (steps[s + 1].Contiguity != Contiguity.Strict || steps[s + 1].Min == 0));
        var into = target >= 0 && (!loop || step.Reluctant) ? target : loop ? s : -1;
        if (into < 0)
        {
            if (canWait)
            {
                _next.Add(run);
            }

            return;
        }

        if (into != s && steps[into].Contiguity == Contiguity.Any && canWait)
        {
            _next.Add(run.Clone()); // followed-by-any: the match also waits for a later event for this step
        }

        Take(run, into, e, seq);
        Place(run);
    }

    private void Take(SequenceRun run, int step, DeviceEvent e, long seq)
    {
        run.Count = run.Stage == step && run.Events.Count > 0 ? run.Count + 1 : 1;
        run.Stage = step;
        run.Events.Add(new TakenEvent(e.EventId, e.EventTime, seq, step));
        foreach (var (index, read) in _p.Steps[step].Captures)
        {
            run.Captures[index] = read(e);
        }
    }

    // A run that took an event: complete (raised now, or held by a trailing 'not followed by') or still partial.
    private void Place(SequenceRun run)
    {
        var n = _p.Steps.Length;
        if (run.Stage == n - 1 && run.Count >= _p.Steps[n - 1].Min)
        {
            if (_p.TrailingNotFollowedBy.Length > 0)
            {
                run.Complete = true;
                _next.Add(run);
            }
            else
            {
                _completed.Add(run);
            }

            return;
        }

        _next.Add(run);
    }

    private void RaiseMatch(SequenceState st, SequenceRun m, string deviceId, long alertTime, ICollection<AlertEvent> output)
    {
        m.Dead = true;
        if (_p.AlertOnMatch)
        {
            var ids = m.Events.Select(x => x.Id).ToArray();
            var alertId = AlertIds.Compute(_rule.Id, _rule.Version, deviceId, ids);
            output.Add(new AlertEvent(
                AlertKind.Generate, alertId, _rule.Id, _rule.Version, _rule.AlertType, _rule.Priority, _rule.Delay, _rule.Info,
                deviceId, alertTime, m.Start, ids));
            Open(st, alertId, m.Start, alertTime);
        }

        Skip(m, _next);
        Skip(m, _completed);
    }

    private void Open(SequenceState st, string alertId, long faultTime, long alertTime)
    {
        if (_rule.Revocable)
        {
            st.Open.Add(new SequenceOpenAlert(alertId, faultTime, alertTime));
        }
    }

    // The after-match skip strategy: which other partial (and just completed) matches the match discards.
    private void Skip(SequenceRun m, List<SequenceRun> runs)
    {
        long from;
        switch (_p.Skip)
        {
            case SkipStrategy.None:
                return;
            case SkipStrategy.PastLast:
                from = m.LastSeq + 1;
                break;
            case SkipStrategy.ToFirst:
            case SkipStrategy.ToLast:
                var own = m.Events.Where(x => x.Step == _p.SkipStep).Select(x => x.Seq).ToList();
                from = own.Count == 0 ? long.MinValue : _p.Skip == SkipStrategy.ToFirst ? own[0] : own[^1];
                break;
            default:
                from = long.MinValue; // to next: only the matches that began with the same event
                break;
        }

        foreach (var r in runs)
        {
            // a match never restarts at its own first event
            r.Dead |= r.FirstSeq < from || r.FirstSeq == m.FirstSeq;
        }
    }

    private static long Sat(long a, long b) => a > long.MaxValue - b ? long.MaxValue : a + b;
}
