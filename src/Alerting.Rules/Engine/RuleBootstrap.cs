using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>
/// The history matcher of a rule's bootstrap: a standalone <see cref="RuleEngine"/> holding only that rule, fed a
/// partition's history in offset order, that matches the events of <c>[From, Until)</c> (effective time − look-back up
/// to the effective time of the set that brings the rule) and then hands the rule's per-device state over
/// (<see cref="Finish"/>, for <see cref="RuleEngine.ImportRuleState"/> of the live engine). Its watermark is the
/// largest event time seen minus the out-of-orderness bound, as the live stream's, never past <c>Until − 1</c>: the
/// live engine, swapped at <c>Until</c>, matches everything from there. So the rule finds in history what an engine
/// that had it from <c>From</c> on finds before <c>Until</c>, with the same alert ids, and goes on from the same state.
/// <para>
/// While the history is read the live engine goes on without the rule; <see cref="BeginCatchUp"/> and <see cref="CatchUp(Timed, ICollection{AlertEvent})"/> then bring the rule's
/// state forward over what the live engine did meanwhile (the events it held at the swap, then each event and watermark
/// step it took after it, in order), so the state handed over is the one the live engine would hold had it had the rule
/// all along, and the alerts the rule raises on the way are the live alerts it would have raised.
/// </para>
/// Plain C#, single-threaded.
/// </summary>
public sealed class RuleBootstrap
{
    private readonly RuleEngine _engine;
    private readonly long _outOfOrderness;
    private readonly List<AlertEvent> _found = [];
    private readonly List<AlertEvent>? _alerts;
    private long _maxSeen = long.MinValue;
    private bool _historyEnded;

    /// <param name="rule">The rule to bootstrap (its id and version are the ones the live set brings).</param>
    /// <param name="schema">The event schema the rule is compiled against.</param>
    /// <param name="from">Event time the history starts at (effective time − look-back): earlier events are skipped.</param>
    /// <param name="until">The effective time: events at or after it are the live engine's, skipped here.</param>
    /// <param name="outOfOrdernessMs">The source's out-of-orderness bound: the watermark trails the largest event time by it.</param>
    /// <param name="keepAlerts">Keep the alerts found (<see cref="BootstrapAlerts.Emit"/>); off: only the state is built.</param>
    /// <param name="options">The live engine's options (allowed lateness, open-alert time to live).</param>
    public RuleBootstrap(CompiledRule rule, EventSchema schema, long from, long until, long outOfOrdernessMs, bool keepAlerts, RuleEngineOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(rule);
        ArgumentNullException.ThrowIfNull(schema);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(from, until);
        ArgumentOutOfRangeException.ThrowIfNegative(outOfOrdernessMs);
        Rule = rule;
        From = from;
        Until = until;
        _outOfOrderness = outOfOrdernessMs;
        _alerts = keepAlerts ? [] : null;
        _engine = new RuleEngine(RuleSet.Create(0, [rule], schema), options);
    }

    public CompiledRule Rule { get; }

    /// <summary>Event time the history starts at (inclusive).</summary>
    public long From { get; }

    /// <summary>Event time the history ends at (exclusive): the effective time.</summary>
    public long Until { get; }

    /// <summary>History records offered (in the window or not).</summary>
    public long EventsRead { get; private set; }

    /// <summary>Events offered that were in <c>[From, Until)</c>.</summary>
    public long EventsInWindow { get; private set; }

    /// <summary>Events the history engine dropped as later than its watermark by more than the allowed lateness.</summary>
    public long TooLateEvents => _engine.TooLateEvents;

    /// <summary>The alerts found so far, marked <see cref="AlertEvent.Bootstrap"/>; empty when they are not kept.</summary>
    public IReadOnlyList<AlertEvent> Alerts => (IReadOnlyList<AlertEvent>?)_alerts ?? [];

    /// <summary>Takes the next history event of the partition (offset order).</summary>
    /// <exception cref="InvalidOperationException">The history has ended (<see cref="Finish"/> or <see cref="BeginCatchUp"/>).</exception>
    public void Offer(DeviceEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        if (_historyEnded)
        {
            throw new InvalidOperationException("the history has ended: the rule's state was handed over");
        }

        EventsRead++;
        if (e.EventTime < From || e.EventTime >= Until)
        {
            return;
        }

        EventsInWindow++;
        _engine.OnEvent(e, _found);
        if (e.EventTime > _maxSeen)
        {
            _maxSeen = e.EventTime;
            var watermark = Math.Min(_maxSeen - _outOfOrderness, Until - 1);
            if (watermark > _engine.Watermark)
            {
                _engine.OnWatermark(watermark, _found);
            }
        }

        Collect();
    }

    /// <summary>
    /// Ends the history: matches what is still buffered and fires the timers due before <c>Until</c>, then returns the
    /// rule's per-device state as <see cref="RuleEngine.ExportRuleState"/> writes it.
    /// </summary>
    public byte[] Finish()
    {
        EndHistory();
        return _engine.ExportRuleState(Rule.Id, Rule.Version);
    }

    /// <summary>
    /// Ends the history (as <see cref="Finish"/>), then matches the rule over what the live engine did since the swap:
    /// first the events it held at the swap (<paramref name="bufferedAtSwap"/>, all at or after <c>Until</c>: they wait
    /// here as they waited there), then <paramref name="held"/>, the events and watermark steps the live engine took
    /// after the swap, in its order. Alerts raised on the way go to <paramref name="output"/> as live alerts (not
    /// marked <see cref="AlertEvent.Bootstrap"/>, kept whatever the rule says of history's alerts). Returns the rule's
    /// per-device state as <see cref="RuleEngine.ExportRuleState"/> writes it, for the live engine, whose watermark
    /// must then be the last step of <paramref name="held"/> (the events still waiting here wait there too, and are
    /// matched there). The same as <see cref="BeginCatchUp"/>, <see cref="CatchUp(Timed, ICollection{AlertEvent})"/>
    /// for each held element, then <see cref="HandOver"/>.
    /// </summary>
    public byte[] CatchUp(IReadOnlyList<DeviceEvent> bufferedAtSwap, IReadOnlyList<Timed> held, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(held);
        BeginCatchUp(bufferedAtSwap, output);
        foreach (var element in held)
        {
            CatchUp(element, output);
        }

        return HandOver();
    }

    /// <summary>
    /// Ends the history (as <see cref="Finish"/>: its alerts are then all in <see cref="Alerts"/>) and takes the events
    /// the live engine held for the watermark at the swap (all at or after <c>Until</c>): the catch-up over the live
    /// elements starts from there.
    /// </summary>
    public void BeginCatchUp(IReadOnlyList<DeviceEvent> bufferedAtSwap, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(bufferedAtSwap);
        ArgumentNullException.ThrowIfNull(output);
        EndHistory();
        var before = output.Count;
        foreach (var e in bufferedAtSwap)
        {
            _engine.OnEvent(e, output);
        }

        LiveAlerts += output.Count - before;
    }

    /// <summary>
    /// Takes the next event or watermark step the live engine took after the swap (in its order); the alerts the rule
    /// raises go to <paramref name="output"/>, as live alerts.
    /// </summary>
    public void CatchUp(Timed element, ICollection<AlertEvent> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        if (!_historyEnded)
        {
            throw new InvalidOperationException("the catch-up starts with BeginCatchUp");
        }

        var before = output.Count;
        if (element.IsWatermark)
        {
            _engine.OnWatermark(element.Watermark, output);
        }
        else
        {
            _engine.OnEvent(element.Event!, output);
        }

        LiveAlerts += output.Count - before;
    }

    /// <summary>The rule's per-device state, caught up, as <see cref="RuleEngine.ExportRuleState"/> writes it, for the live engine.</summary>
    public byte[] HandOver() => _engine.ExportRuleState(Rule.Id, Rule.Version);

    /// <summary>
    /// Gives the rule's per-device state, caught up, to the live engine <paramref name="live"/> (see
    /// <see cref="RuleEngine.TakeRuleState"/>): what <c>live.ImportRuleState(HandOver())</c> does, without writing and
    /// reading the state. This bootstrap holds none of it afterwards.
    /// </summary>
    public RuleStateImport HandOverTo(RuleEngine live)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (!_historyEnded)
        {
            throw new InvalidOperationException("the hand-over comes after the catch-up (BeginCatchUp)");
        }

        return live.TakeRuleState(_engine, Rule.Id, Rule.Version);
    }

    /// <summary>Alerts the catch-up raised over the live elements (Generates and Revokes).</summary>
    public int LiveAlerts { get; private set; }

    private void EndHistory()
    {
        if (_historyEnded)
        {
            return;
        }

        _historyEnded = true;
        _engine.OnWatermark(Until - 1, _found);
        Collect();
    }

    private void Collect()
    {
        if (_found.Count == 0)
        {
            return;
        }

        if (_alerts is not null)
        {
            foreach (var a in _found)
            {
                _alerts.Add(a with { Bootstrap = true });
            }
        }

        _found.Clear();
    }
}
