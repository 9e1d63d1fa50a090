using Alerting.Rules.Language;
using Alerting.Rules.Live;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>What the engine says it holds for a device: partial matches, absence timers, open alerts, events awaiting the watermark.</summary>
public sealed class RuleEngineInspectSpec
{
    private const string Pair = """
        match seq(Fault(ErrCode = 101), Fault(ErrCode in [101, 102])) within 1m
        unless Recover(ErrCode = 101)
        revoke when Run
        alert "PAIR" priority 2
        """;

    private const string Missing = """
        match absent(Run, Heartbeat) within 30s
        alert "MISSING" priority 5
        """;

    [Fact]
    public void A_device_s_buffered_events_must_show_as_a_partial_match_with_the_steps_each_can_fill_and_its_deadline()
    {
        var engine = new RuleEngine(Set(Pair, Missing));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Fault", 0, 101, id: "a"), output);
        engine.OnEvent(Ev("Fault", 9_000, 103, id: "late-watermark"), output); // not matched before the watermark passes it
        engine.OnWatermark(T0 + 1_000, output);

        var seen = engine.Inspect("42");
        Assert.Empty(output);
        Assert.Equal(T0 + 1_000, seen.Watermark);
        Assert.Equal(1, seen.AwaitingWatermark);
        var partial = Assert.Single(seen.PartialMatches);
        Assert.Equal(("r0", 1, PatternOperator.Seq, 2), (partial.RuleId, partial.RuleVersion, partial.Operator, partial.StepCount));
        var held = Assert.Single(partial.Events);
        Assert.Equal(("a", T0), (held.EventId, held.EventTime));
        Assert.Equal([0], held.Steps); // a 101 could end the sequence too, but a buffered event is never the last step of a later match
        Assert.Equal(T0 + 60_000, partial.ExpiresAt);
        Assert.Null(partial.VoidBefore);
        Assert.Empty(seen.AbsenceTimers);
        Assert.Empty(seen.OpenAlerts);
        Assert.False(seen.IsEmpty);
        Assert.True(seen.StateBytes > 0);
        Assert.True(engine.Inspect("someone-else").IsEmpty);
    }

    [Fact]
    public void A_completed_match_must_leave_an_open_alert_and_a_trigger_a_pending_absence_timer()
    {
        var engine = new RuleEngine(Set(Pair, Missing));
        var output = new List<AlertEvent>();
        Run(engine, [Ev("Fault", 0, 101, id: "a"), Ev("Fault", 1_000, 102, id: "b"), Ev("Run", 2_000, id: "run")], flush: false);
        var generate = Assert.Single(Run(new RuleEngine(Set(Pair)), [Ev("Fault", 0, 101, id: "a"), Ev("Fault", 1_000, 102, id: "b")]));

        var seen = engine.Inspect("42");
        Assert.Empty(seen.PartialMatches);
        Assert.Empty(seen.OpenAlerts); // the Run revoked it
        var timer = Assert.Single(seen.AbsenceTimers);
        Assert.Equal(("r1", "run", T0 + 2_000, T0 + 32_000), (timer.RuleId, timer.TriggerId, timer.TriggerTime, timer.Deadline));

        var open = new RuleEngine(Set(Pair));
        Run(open, [Ev("Fault", 0, 101, id: "a"), Ev("Fault", 1_000, 102, id: "b")], flush: false);
        var alert = Assert.Single(open.Inspect("42").OpenAlerts);
        Assert.Equal((generate.AlertId, "r0", T0, T0 + 1_000), (alert.AlertId, alert.RuleId, alert.FaultTime, alert.AlertTime));
    }

    [Fact]
    public void An_unless_event_must_show_as_the_void_mark_of_the_partial_match_it_voids()
    {
        var engine = new RuleEngine(Set(Pair));
        Run(engine, [Ev("Fault", 0, 101, id: "a"), Ev("Recover", 1_000, 101, id: "r")], flush: false);
        var voided = Assert.Single(engine.Inspect("42").PartialMatches);
        Assert.Equal("a", Assert.Single(voided.Events).EventId); // still held, but it can no longer complete
        Assert.Equal(T0 + 1_000, voided.VoidBefore);

        Run(engine, [Ev("Fault", 2_000, 101, id: "c")], flush: false); // the next event applies the mark
        var partial = Assert.Single(engine.Inspect("42").PartialMatches);
        Assert.Equal("c", Assert.Single(partial.Events).EventId);
        Assert.Null(partial.VoidBefore);
    }

    [Fact]
    public void A_sequence_rule_s_partial_matches_and_open_alerts_must_show_with_the_step_each_event_took()
    {
        var engine = new RuleEngine(Set("""
            match seq(a: Fault(ErrCode = 103), b: Fault(ErrCode = 103) times(2)) within 1m
            revoke when Run
            alert "REPEATED" priority 2
            """));
        Run(engine, [Ev("Fault", 0, 103, id: "f1"), Ev("Fault", 1_000, 103, id: "f2")], flush: false);
        var seen = engine.Inspect("42");
        Assert.Equal(PatternOperator.Sequence, Assert.Single(seen.PartialMatches, p => p.Events.Count == 2).Operator);
        var run = seen.PartialMatches.Single(p => p.Events.Count == 2);
        Assert.Equal([("f1", 0), ("f2", 1)], run.Events.Select(e => (e.EventId, Assert.Single(e.Steps))));
        Assert.Equal(T0 + 60_000, run.ExpiresAt);

        var alerts = Run(engine, [Ev("Fault", 2_000, 103, id: "f3")], flush: false);
        var alert = Assert.Single(alerts);
        Assert.Equal(alert.AlertId, Assert.Single(engine.Inspect("42").OpenAlerts).AlertId);
    }

    [Fact]
    public void After_a_swap_a_device_must_show_only_the_states_of_rules_kept_and_inspecting_it_must_not_change_what_follows()
    {
        RuleSet Versioned(long version, params (string Id, string Text)[] rules) =>
            RuleSet.Create(version, rules.Select(r => CompiledRule.Compile(r.Id, 1, r.Text, Schema)), Schema);

        var live = new LiveRuleSets(Versioned(0, ("kept", Pair), ("gone", Missing)));
        var next = Versioned(1, ("kept", Pair));
        var inspected = new RuleEngine(live.Base);
        var untouched = new RuleEngine(live.Base);
        var alerts = new List<AlertEvent>();
        var reference = new List<AlertEvent>();
        foreach (var engine in new[] { inspected, untouched })
        {
            var output = engine == inspected ? alerts : reference;
            engine.OnEvent(Ev("Fault", 0, 101, id: "a"), output);
            engine.OnEvent(Ev("Run", 500, id: "run"), output);
            engine.OnWatermark(T0 + 1_000, output);
            engine.SwapRules(next, T0 + 1_001, output);
        }

        var seen = inspected.Inspect("42");
        Assert.Equal(1, seen.RulesVersion);
        Assert.Empty(seen.AbsenceTimers); // the absence rule is gone with its timer
        Assert.Equal("kept", Assert.Single(seen.PartialMatches).RuleId);

        foreach (var engine in new[] { inspected, untouched })
        {
            var output = engine == inspected ? alerts : reference;
            engine.OnEvent(Ev("Fault", 2_000, 102, id: "b"), output);
            engine.Flush(output);
        }

        Assert.Equal(reference.Select(a => a.AlertId), alerts.Select(a => a.AlertId));
        Assert.Single(alerts);
    }
}
