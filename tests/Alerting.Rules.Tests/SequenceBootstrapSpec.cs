using Alerting.Events;
using Alerting.Rules.Language;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>A sequence rule bootstrapped over history: its automaton's state handed to the live engine.</summary>
public sealed class SequenceBootstrapSpec
{
    // references, a range, a trailing negation, a timeout: every part of a partial match a hand-over must carry
    private const string Hotter = """
        match seq(a: Fault(ErrCode = 103), b: Fault(ErrCode = 103 and Level > a.Level) times(2, 3), not followed by Resume)
        within 1m
        on timeout alert "NOT_HOTTER" priority 4
        alert "HOTTER" priority 3
        """;

    private const string Other = """match all(Fault(ErrCode = 301), Fault(ErrCode = 302)) within 1m alert "OTHER" priority 3""";

    private const long Bound = 5_000;
    private const long EffectiveAt = T0 + 100_000;
    private const long LookBack = 90_000;

    private static CompiledRule Rule(string id, string text) => CompiledRule.Compile(id, 1, text, Schema);

    private static RuleSet Set(long version, params CompiledRule[] rules) => RuleSet.Create(version, rules, Schema);

    private static string Describe(AlertEvent a) => $"{a.Kind} {a.RuleId} {a.DeviceId} {a.AlertId} {a.AlertTime} {string.Join(',', a.EventIds)}";

    // from 15 s on (inside the look-back), arrival shuffled within the bound; the rule goes live at 100 s
    private static List<DeviceEvent> History() =>
    [
        Ev("Fault", 15_000, 103, device: "d1", id: "a1", level: 10), Ev("Fault", 19_000, 301, device: "d9", id: "o1"),
        Ev("Fault", 18_000, 103, device: "d1", id: "a2", level: 20), Ev("Fault", 21_000, 103, device: "d1", id: "a3", level: 30), // d1: raised in history (its window ends at 75 s)
        Ev("Fault", 50_000, 302, device: "d9", id: "o2"), // the other rule's pair, live all along
        Ev("Fault", 70_000, 103, device: "d2", id: "b1", level: 10), Ev("Fault", 80_000, 103, device: "d2", id: "b2", level: 20), // d2: partial, handed over
        Ev("Fault", 90_000, 103, device: "d3", id: "c1", level: 50), // d3: partial, times out live
        Ev("Fault", 99_000, 103, device: "d4", id: "e1", level: 5), Ev("Fault", 101_000, 103, device: "d4", id: "e2", level: 6), // d4: straddles the swap
        Ev("Fault", 104_000, 103, device: "d2", id: "b3", level: 30), // completes d2 live
        Ev("Fault", 103_000, 103, device: "d4", id: "e3", level: 7),
        Ev("Resume", 110_000, device: "d4", id: "r1"), // voids d4's match
        Ev("Fault", 150_000, 103, device: "d5", id: "n1", level: 1), Ev("Fault", 149_000, 301, device: "d9", id: "o3"),
        Ev("Heartbeat", 240_000, device: "d7", id: "h"),
    ];

    [Fact]
    public void A_bootstrapped_sequence_rule_must_find_the_alerts_of_a_run_that_had_it_from_the_start_with_the_same_ids()
    {
        var hotter = Rule("hotter", Hotter);
        var other = Rule("other", Other);
        var events = History();
        var reference = Run(new RuleEngine(Set(1, other, hotter)), events, Bound);

        var engine = new RuleEngine(Set(0, other));
        var output = new List<AlertEvent>();
        var max = long.MinValue;
        for (var read = 0; read < events.Count; read++)
        {
            engine.OnEvent(events[read], output);
            max = Math.Max(max, events[read].EventTime);
            if (engine.Rules.Version == 0 && max - Bound >= EffectiveAt)
            {
                engine.SwapRules(Set(1, other, hotter), EffectiveAt, output);
                var history = new RuleBootstrap(hotter, Schema, EffectiveAt - LookBack, EffectiveAt, Bound, keepAlerts: true);
                foreach (var e in events.Take(read + 1))
                {
                    history.Offer(e);
                }

                var state = history.Finish();
                output.AddRange(history.Alerts);
                var imported = engine.ImportRuleState(state);
                Assert.Equal(3, imported.Devices); // d2, d3 and d4 (its first event at 99 s) partial; d1's match is over
            }

            engine.OnWatermark(max - Bound, output);
        }

        engine.Flush(output);

        Assert.Equal(reference.Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(["HOTTER d1 a1,a2,a3"], output.Where(a => a.Bootstrap).Select(a => $"{a.AlertType} {a.DeviceId} {string.Join(',', a.EventIds)}"));
        Assert.Contains(output, a => a is { AlertType: "HOTTER", DeviceId: "d2", Bootstrap: false });
        Assert.Contains(output, a => a is { Kind: AlertKind.Timeout, DeviceId: "d3", Bootstrap: false });
        Assert.DoesNotContain(output, a => a is { AlertType: "HOTTER", DeviceId: "d4" });
    }

    [Fact]
    public void Export_must_write_only_the_sequence_rule_asked_for_and_import_must_refuse_a_device_already_holding_it()
    {
        var hotter = Rule("hotter", Hotter);
        var twin = Rule("twin", Hotter);
        var source = new RuleEngine(Set(1, hotter, twin));
        Run(source, [Ev("Fault", 0, 103, device: "d1", id: "x1", level: 1), Ev("Fault", 1_000, 103, device: "d2", id: "y1", level: 1)], flush: false);
        var state = source.ExportRuleState("hotter", 1);

        var target = new RuleEngine(Set(1, hotter, twin));
        Run(target, [Ev("Fault", 0, 103, device: "d1", id: "t1", level: 1)], flush: false); // d1 holds both rules already
        Assert.Throws<InvalidOperationException>(() => target.ImportRuleState(state));

        var fresh = new RuleEngine(Set(1, hotter, twin));
        Assert.Equal(new RuleStateImport(2, 2), fresh.ImportRuleState(state));
        var alerts = Run(fresh, [Ev("Fault", 5_000, 103, device: "d1", id: "x2", level: 2), Ev("Fault", 6_000, 103, device: "d1", id: "x3", level: 3)]);
        Assert.Equal(["x1,x2,x3"], alerts.Where(a => a is { RuleId: "hotter", AlertType: "HOTTER" }).Select(a => string.Join(',', a.EventIds)));
        Assert.DoesNotContain(alerts, a => a is { RuleId: "twin", AlertType: "HOTTER" }); // the twin's state stayed behind
    }
}
