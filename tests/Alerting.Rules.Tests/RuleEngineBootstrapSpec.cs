using Alerting.Events;
using Alerting.Rules.Language;
using Alerting.Rules.Live;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class RuleEngineBootstrapSpec
{
    private const string Pair = """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m
        revoke when Run
        alert "PAIR" priority 2
        """;

    private const string Other = """match all(Fault(ErrCode = 301), Fault(ErrCode = 302)) within 1m alert "OTHER" priority 3""";

    private const string Silent = """match absent(Run, Heartbeat) within 30s alert "SILENT" priority 5""";

    private static CompiledRule Rule(string id, string text, int version = 1) => CompiledRule.Compile(id, version, text, Schema);

    private static RuleSet Set(long version, params CompiledRule[] rules) => RuleSet.Create(version, rules, Schema);

    private static string Describe(AlertEvent a) => $"{a.Kind} {a.RuleId} {a.DeviceId} {a.AlertId}";

    /// <summary>
    /// Arrival order with watermark = max − bound, as the match stage does; when the watermark reaches the new version,
    /// swaps, then bootstraps each of <paramref name="bootstrap"/> over the events read so far (their offset order) and
    /// hands its state to the live engine before anything else happens.
    /// </summary>
    private static List<AlertEvent> RunWithBootstrap(LiveRuleSets live, IReadOnlyList<DeviceEvent> events, long boundMs, IReadOnlyList<(CompiledRule Rule, long LookBackMs, bool Emit)> bootstrap)
    {
        var engine = new RuleEngine(live.Base);
        var output = new List<AlertEvent>();
        var max = long.MinValue;
        for (var read = 0; read < events.Count; read++)
        {
            engine.OnEvent(events[read], output);
            max = Math.Max(max, events[read].EventTime);
            Advance(max - boundMs, read + 1);
        }

        Advance(long.MaxValue, events.Count);
        return output;

        void Advance(long watermark, int read)
        {
            while (live.NextDue(engine.Rules.Version, watermark) is { } due)
            {
                engine.SwapRules(due.Rules, due.EffectiveAt, output);
                foreach (var (rule, lookBack, emit) in bootstrap)
                {
                    var history = new RuleBootstrap(rule, Schema, due.EffectiveAt - lookBack, due.EffectiveAt, boundMs, emit);
                    foreach (var e in events.Take(read))
                    {
                        history.Offer(e);
                    }

                    var state = history.Finish();
                    output.AddRange(history.Alerts);
                    engine.ImportRuleState(state);
                }
            }

            engine.OnWatermark(watermark, output);
        }
    }

    /// <summary>
    /// As the match stage runs a bootstrap while the rest of the partition goes on: at the swap the live engine takes the
    /// new set without the bootstrapping rules and goes on, holding each event and watermark step it takes; the history
    /// is read (the events read before the swap) and the hand-over comes after <paramref name="handOverAfter"/> more
    /// events: the engine takes the full set, each rule catches up over what the engine buffered at the swap and over the
    /// held elements, and its state is imported. Alerts in emission order.
    /// </summary>
    /// With <paramref name="take"/> the live engine takes each state from its bootstrap (<see cref="RuleBootstrap.HandOverTo"/>)
    /// instead of importing its export; <paramref name="snapshots"/>, when given, receives the engine's checkpoint of
    /// every partition right after the hand-over.
    private static List<AlertEvent> RunWithHeldBootstrap(LiveRuleSets live, IReadOnlyList<DeviceEvent> events, long boundMs, IReadOnlyList<(CompiledRule Rule, long LookBackMs, bool Emit)> bootstrap, int handOverAfter, bool take = false, List<byte[]>? snapshots = null)
    {
        var engine = new RuleEngine(live.Base);
        var output = new List<AlertEvent>();
        List<Timed>? held = null;
        IReadOnlyList<DeviceEvent> bufferedAtSwap = [];
        List<RuleBootstrap> running = [];
        RuleSet? full = null;
        var handOverAt = -1;
        var max = long.MinValue;
        for (var read = 0; read < events.Count; read++)
        {
            engine.OnEvent(events[read], output);
            held?.Add(Timed.Of(events[read]));
            max = Math.Max(max, events[read].EventTime);
            Advance(max - boundMs, read + 1);
            if (read + 1 == handOverAt)
            {
                HandOver();
            }
        }

        if (held is not null)
        {
            HandOver();
        }

        Advance(long.MaxValue, events.Count);
        return output;

        void Advance(long watermark, int read)
        {
            while (held is null && live.NextDue(engine.Rules.Version, watermark) is { } due)
            {
                var ids = bootstrap.Select(b => b.Rule.Id).ToHashSet(StringComparer.Ordinal);
                engine.SwapRules(RuleSet.Create(due.Rules.Version, due.Rules.Rules.Where(r => !ids.Contains(r.Id)), Schema), due.EffectiveAt, output);
                bufferedAtSwap = engine.CopyBufferedEvents();
                held = [];
                full = due.Rules;
                handOverAt = read + handOverAfter;
                running = [];
                foreach (var (rule, lookBack, emit) in bootstrap)
                {
                    var history = new RuleBootstrap(rule, Schema, due.EffectiveAt - lookBack, due.EffectiveAt, boundMs, emit);
                    foreach (var e in events.Take(read))
                    {
                        history.Offer(e);
                    }

                    running.Add(history);
                }
            }

            engine.OnWatermark(watermark, output);
            held?.Add(Timed.OfWatermark(watermark));
        }

        void HandOver()
        {
            engine.SwapRules(full!, long.MinValue, output);
            foreach (var history in running)
            {
                var caughtUp = new List<AlertEvent>();
                if (take)
                {
                    history.BeginCatchUp(bufferedAtSwap, caughtUp);
                    foreach (var element in held!)
                    {
                        history.CatchUp(element, caughtUp);
                    }

                    history.HandOverTo(engine);
                }
                else
                {
                    engine.ImportRuleState(history.CatchUp(bufferedAtSwap, held!, caughtUp));
                }

                output.AddRange(history.Alerts);
                output.AddRange(caughtUp);
            }

            snapshots?.AddRange(engine.SnapshotPartitions(events.Select(e => new SourcePartition(e.Topic, e.Partition)).Distinct()).OrderBy(kv => kv.Key.Partition).Select(kv => kv.Value));
            held = null;
        }
    }

    // Devices d1..d4 over 200 s, arrival shuffled within a 5 s bound; the new set takes effect at 100 s, looking back 60 s.
    private static List<DeviceEvent> History() =>
    [
        Ev("Fault", 41_000, 101, device: "d1", id: "a1"), Ev("Fault", 45_000, 301, device: "d2", id: "o1"),
        Ev("Fault", 44_000, 102, device: "d1", id: "a2"), // d1: a pair inside the history: an alert of the bootstrap
        Ev("Fault", 50_000, 302, device: "d2", id: "o2"), // the other rule's pair, live all along
        Ev("Fault", 70_000, 101, device: "d3", id: "b1"), // d3: a partial match handed over, completed live
        Ev("Heartbeat", 76_000, device: "d4", id: "h1"), Ev("Run", 78_000, device: "d4", id: "r1"), // d4: an absence timer started in history, fired live
        Ev("Fault", 99_000, 101, device: "d5", id: "c1"), Ev("Fault", 100_500, 102, device: "d5", id: "c2"), // d5: straddles the swap
        Ev("Run", 120_000, device: "d1", id: "r2"), // revokes d1's alert found in history
        Ev("Fault", 125_000, 102, device: "d3", id: "b2"),
        Ev("Fault", 150_000, 101, device: "d6", id: "n1"), Ev("Fault", 149_000, 102, device: "d6", id: "n2"),
        Ev("Heartbeat", 200_000, device: "d7", id: "h2"),
    ];

    [Fact]
    public void A_bootstrapped_rule_must_find_the_alerts_of_a_run_that_had_it_from_the_start_with_the_same_ids()
    {
        var pair = Rule("pair", Pair);
        var silent = Rule("silent", Silent);
        var other = Rule("other", Other);
        var events = History();

        var reference = Run(new RuleEngine(Set(1, other, pair, silent)), events, outOfOrdernessMs: 5_000);

        var live = new LiveRuleSets(Set(0, other));
        live.Add(new LiveRuleSet(1, T0 + 100_000, Set(1, other, pair, silent)));
        var alerts = RunWithBootstrap(live, events, 5_000, [(pair, 60_000, true), (silent, 60_000, true)]);

        Assert.Equal(reference.Select(Describe).Order(StringComparer.Ordinal), alerts.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(["pair d1"], alerts.Where(a => a.Bootstrap).Select(a => $"{a.RuleId} {a.DeviceId}"));
        // the handed-over states did their part: d1's open alert revoked, d3's partial match completed, d4's timer fired
        Assert.Contains(alerts, a => a is { Kind: AlertKind.Revoke, DeviceId: "d1", Bootstrap: false });
        Assert.Contains(alerts, a => a is { RuleId: "pair", DeviceId: "d3", Kind: AlertKind.Generate });
        Assert.Contains(alerts, a => a is { RuleId: "silent", DeviceId: "d4" });
    }

    [Fact]
    public void Suppressed_bootstrap_alerts_must_not_be_produced_but_their_state_must_carry_on()
    {
        var pair = Rule("pair", Pair);
        var live = new LiveRuleSets(Set(0, Rule("other", Other)));
        live.Add(new LiveRuleSet(1, T0 + 100_000, Set(1, Rule("other", Other), pair)));

        var alerts = RunWithBootstrap(live, History(), 5_000, [(pair, 60_000, false)]);

        Assert.DoesNotContain(alerts, a => a.Bootstrap);
        Assert.DoesNotContain(alerts, a => a is { Kind: AlertKind.Generate, DeviceId: "d1" });
        Assert.Contains(alerts, a => a is { Kind: AlertKind.Revoke, DeviceId: "d1" }); // the open alert was handed over
    }

    [Fact]
    public void History_outside_the_look_back_and_from_the_effective_time_on_must_be_left_out()
    {
        var history = new RuleBootstrap(Rule("pair", Pair), Schema, T0 + 60_000, T0 + 100_000, 0, keepAlerts: true);
        history.Offer(Ev("Fault", 59_999, 101, device: "d1", id: "early"));
        history.Offer(Ev("Fault", 60_000, 102, device: "d1", id: "first"));
        history.Offer(Ev("Fault", 100_000, 101, device: "d1", id: "live"));
        var state = history.Finish();

        Assert.Empty(history.Alerts);
        Assert.Equal((3L, 1L), (history.EventsRead, history.EventsInWindow));

        // the partial match of 'first' goes live: completed by a 101 the live engine matches
        var engine = new RuleEngine(Set(1, Rule("pair", Pair)));
        engine.OnWatermark(T0 + 99_999, []);
        Assert.Equal(new RuleStateImport(1, 1), engine.ImportRuleState(state));
        var alert = Assert.Single(Run(engine, [Ev("Fault", 100_000, 101, device: "d1", id: "live")]));
        Assert.Equal(["first", "live"], alert.EventIds);
    }

    [Fact]
    public void Export_must_write_only_the_rule_asked_for_and_import_must_keep_the_devices_other_rules()
    {
        var pair = Rule("pair", Pair);
        var source = new RuleEngine(Set(1, pair, Rule("other", Other)));
        Run(source, [Ev("Fault", 0, 101, device: "d1", id: "p1"), Ev("Fault", 1, 301, device: "d2", id: "q1")], flush: false);
        var exported = source.ExportRuleState("pair", 1);

        var target = new RuleEngine(Set(1, Rule("other", Other), pair));
        Run(target, [Ev("Fault", 0, 301, device: "d1", id: "x1")], flush: false);
        Assert.Equal(new RuleStateImport(1, 0), target.ImportRuleState(exported)); // d1 exists: it gets the rule's state beside its own
        var alerts = Run(target, [Ev("Fault", 2, 302, device: "d1", id: "x2"), Ev("Fault", 3, 102, device: "d1", id: "p2")]);

        Assert.Equal([("other", "x1,x2"), ("pair", "p1,p2")], alerts.Select(a => (a.RuleId, string.Join(',', a.EventIds))).Order());
    }

    [Fact]
    public void Import_must_refuse_a_rule_not_in_the_set_and_a_device_already_holding_the_rule()
    {
        var pair = Rule("pair", Pair);
        var source = new RuleEngine(Set(1, pair));
        Run(source, [Ev("Fault", 0, 101, device: "d1", id: "p1")], flush: false);
        var exported = source.ExportRuleState("pair", 1);

        Assert.Throws<ArgumentException>(() => source.ExportRuleState("pair", 2));
        Assert.Throws<ArgumentException>(() => new RuleEngine(Set(1, Rule("pair", Pair, version: 2))).ImportRuleState(exported));
        Assert.Throws<InvalidOperationException>(() => source.ImportRuleState(exported));
        Assert.Throws<InvalidDataException>(() => new RuleEngine(Set(1, pair)).ImportRuleState(exported[..^3]));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(100)]
    public void A_rule_bootstrapped_while_the_other_rules_go_on_must_find_the_alerts_of_a_run_that_had_it_from_the_start(int handOverAfter)
    {
        var pair = Rule("pair", Pair);
        var silent = Rule("silent", Silent);
        var other = Rule("other", Other);
        var events = History();
        var reference = Run(new RuleEngine(Set(1, other, pair, silent)), events, outOfOrdernessMs: 5_000);

        var live = new LiveRuleSets(Set(0, other));
        live.Add(new LiveRuleSet(1, T0 + 100_000, Set(1, other, pair, silent)));
        var alerts = RunWithHeldBootstrap(live, events, 5_000, [(pair, 60_000, true), (silent, 60_000, true)], handOverAfter);

        Assert.Equal(reference.Select(Describe).Order(StringComparer.Ordinal), alerts.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Equal(["pair d1"], alerts.Where(a => a.Bootstrap).Select(a => $"{a.RuleId} {a.DeviceId}"));
        // d5's pair straddles the swap: c2 was waiting in the live engine at the swap, so the held rule is given it
        Assert.Contains(alerts, a => a is { RuleId: "pair", DeviceId: "d5", Kind: AlertKind.Generate, Bootstrap: false });
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(100)]
    public void A_live_engine_taking_a_bootstrapped_rule_s_state_must_hold_what_importing_its_export_gives(int handOverAfter)
    {
        var pair = Rule("pair", Pair);
        var silent = Rule("silent", Silent);
        var other = Rule("other", Other);
        var events = History();
        LiveRuleSets Live()
        {
            var live = new LiveRuleSets(Set(0, other));
            live.Add(new LiveRuleSet(1, T0 + 100_000, Set(1, other, pair, silent)));
            return live;
        }

        var imported = new List<byte[]>();
        var taken = new List<byte[]>();
        var viaExport = RunWithHeldBootstrap(Live(), events, 5_000, [(pair, 60_000, true), (silent, 60_000, true)], handOverAfter, take: false, imported);
        var viaTake = RunWithHeldBootstrap(Live(), events, 5_000, [(pair, 60_000, true), (silent, 60_000, true)], handOverAfter, take: true, taken);

        // the same checkpoint right after the hand-over (partial matches, open alerts, absence timers, other rules'
        // states beside them), and the same alerts, with the same ids, in the same order
        Assert.NotEmpty(imported);
        Assert.Equal(imported, taken);
        Assert.Equal(viaExport.Select(Describe), viaTake.Select(Describe));
    }

    [Fact]
    public void Taking_a_rule_s_state_must_refuse_a_rule_not_in_both_sets_and_a_device_already_holding_the_rule()
    {
        var pair = Rule("pair", Pair);
        RuleEngine Source()
        {
            var source = new RuleEngine(Set(1, pair));
            Run(source, [Ev("Fault", 0, 101, device: "d1", id: "p1")], flush: false);
            return source;
        }

        Assert.Throws<ArgumentException>(() => new RuleEngine(Set(1, Rule("pair", Pair, version: 2))).TakeRuleState(Source(), "pair", 1));
        Assert.Throws<ArgumentException>(() => new RuleEngine(Set(1, pair)).TakeRuleState(Source(), "pair", 2));
        var source = Source();
        Assert.Throws<ArgumentException>(() => source.TakeRuleState(source, "pair", 1));
        var holder = Source();
        Assert.Throws<InvalidOperationException>(() => holder.TakeRuleState(Source(), "pair", 1));

        // taken, not copied: the source holds none of it afterwards
        var target = new RuleEngine(Set(1, pair));
        var from = Source();
        Assert.Equal(new RuleStateImport(1, 1), target.TakeRuleState(from, "pair", 1));
        Assert.Equal(new RuleStateImport(0, 0), new RuleEngine(Set(1, pair)).TakeRuleState(from, "pair", 1));
        var alert = Assert.Single(Run(target, [Ev("Fault", 1, 102, device: "d1", id: "p2")]));
        Assert.Equal(["p1", "p2"], alert.EventIds);
    }

    [Fact]
    public void The_alerts_a_held_rule_raises_over_live_elements_must_be_live_alerts_even_when_history_s_are_suppressed()
    {
        var pair = Rule("pair", Pair);
        var history = new RuleBootstrap(pair, Schema, T0 + 40_000, T0 + 100_000, 0, keepAlerts: false);
        history.Offer(Ev("Fault", 41_000, 101, device: "d1", id: "a1"));
        history.Offer(Ev("Fault", 42_000, 102, device: "d1", id: "a2")); // a history alert, suppressed
        history.Offer(Ev("Fault", 90_000, 101, device: "d2", id: "b1"));

        var live = new List<AlertEvent>();
        var state = history.CatchUp(
            [Ev("Fault", 100_000, 102, device: "d3", id: "c2")], // waiting in the live engine at the swap
            [
                Timed.Of(Ev("Fault", 95_000, 102, device: "d2", id: "b2")), // late for the live engine's watermark: refused there too
                Timed.OfWatermark(T0 + 100_500),
                Timed.Of(Ev("Run", 100_800, device: "d1", id: "r1")),
                Timed.Of(Ev("Fault", 101_000, 101, device: "d3", id: "c1")),
                Timed.OfWatermark(T0 + 101_200),
            ],
            live);

        Assert.Empty(history.Alerts);
        Assert.Equal(["Revoke d1", "Generate d3 c2,c1"], live.Select(a => a.Kind == AlertKind.Revoke ? $"{a.Kind} {a.DeviceId}" : $"{a.Kind} {a.DeviceId} {string.Join(',', a.EventIds)}"));
        Assert.All(live, a => Assert.False(a.Bootstrap));
        Assert.Equal(2, history.LiveAlerts);
        Assert.Equal(1, history.TooLateEvents);
        Assert.Throws<InvalidOperationException>(() => history.Offer(Ev("Fault", 50_000, 101, device: "d9", id: "x")));

        // the state handed over holds d2's partial match (b1), to be completed live
        var engine = new RuleEngine(Set(1, pair));
        engine.OnWatermark(T0 + 101_200, []);
        engine.ImportRuleState(state);
        var alert = Assert.Single(Run(engine, [Ev("Fault", 102_000, 102, device: "d2", id: "b3")]));
        Assert.Equal(["b1", "b3"], alert.EventIds);
    }
}
