using Alerting.Events;
using Alerting.Rules.Language;
using Alerting.Rules.Live;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class RuleEngineSwapSpec
{
    private static string Pair(int a, int b, string type = "PAIR") => $$"""
        match all(Fault(ErrCode = {{a}}), Fault(ErrCode = {{b}})) within 1m
        revoke when Run
        alert "{{type}}" priority 2
        """;

    private static RuleSet Set(long version, params (string Id, int Version, string Text)[] rules) =>
        RuleSet.Create(version, rules.Select(r => CompiledRule.Compile(r.Id, r.Version, r.Text, Schema)), Schema);

    /// <summary>Feeds events in arrival order with watermark = max − bound; swaps to <paramref name="next"/> when the watermark reaches its time.</summary>
    private static List<AlertEvent> RunWithSwap(RuleEngine engine, LiveRuleSets live, IEnumerable<DeviceEvent> events, long boundMs)
    {
        var output = new List<AlertEvent>();
        var max = long.MinValue;
        foreach (var e in events)
        {
            engine.OnEvent(e, output);
            max = Math.Max(max, e.EventTime);
            Advance(max - boundMs);
        }

        Advance(long.MaxValue);
        return output;

        void Advance(long watermark)
        {
            while (live.NextDue(engine.Rules.Version, watermark) is { } due)
            {
                engine.SwapRules(due.Rules, due.EffectiveAt, output);
            }

            engine.OnWatermark(watermark, output);
        }
    }

    [Fact]
    public void Events_before_the_effective_time_must_match_the_old_set_and_events_from_it_the_new_one()
    {
        var live = new LiveRuleSets(Set(0, ("old", 1, Pair(101, 102, "OLD"))));
        live.Add(new LiveRuleSet(1, T0 + 100_000, Set(1, ("new", 1, Pair(201, 202, "NEW")))));
        var engine = new RuleEngine(live.Base);

        // arrival order shuffled within the 5 s bound around the effective time
        var alerts = RunWithSwap(engine, live, [
            Ev("Fault", 0, 101, device: "d1", id: "o1"), Ev("Fault", 1_000, 102, device: "d1", id: "o2"),
            Ev("Fault", 99_000, 201, device: "d2", id: "x1"), Ev("Fault", 100_500, 101, device: "d3", id: "y1"),
            Ev("Fault", 99_500, 202, device: "d2", id: "x2"), Ev("Fault", 100_700, 102, device: "d3", id: "y2"),
            Ev("Fault", 100_000, 201, device: "d4", id: "n1"), Ev("Fault", 101_000, 202, device: "d4", id: "n2"),
        ], boundMs: 5_000);

        Assert.Equal(
            [("old", "d1", "o1,o2"), ("new", "d4", "n1,n2")],
            alerts.Select(a => (a.RuleId, a.DeviceId, string.Join(',', a.EventIds))));
        Assert.Equal(1, engine.Rules.Version);
    }

    [Fact]
    public void A_rule_kept_with_its_id_and_version_must_keep_its_partial_matches_and_a_changed_one_start_afresh()
    {
        var live = new LiveRuleSets(Set(0, ("kept", 1, Pair(101, 102, "KEPT")), ("changed", 1, Pair(301, 302, "CHANGED")), ("gone", 1, Pair(401, 402, "GONE"))));
        live.Add(new LiveRuleSet(1, T0 + 10_000, Set(1, ("kept", 1, Pair(101, 102, "KEPT")), ("changed", 2, Pair(301, 302, "CHANGED")))));
        var engine = new RuleEngine(live.Base);

        var alerts = RunWithSwap(engine, live, [
            Ev("Fault", 0, 101, id: "k1"), Ev("Fault", 1, 301, id: "c1"), Ev("Fault", 2, 401, id: "g1"),
            Ev("Fault", 20_000, 102, id: "k2"), Ev("Fault", 20_001, 302, id: "c2"), Ev("Fault", 20_002, 402, id: "g2"),
        ], boundMs: 0);

        var alert = Assert.Single(alerts);
        Assert.Equal(("kept", 1, "k1,k2"), (alert.RuleId, alert.RuleVersion, string.Join(',', alert.EventIds)));
    }

    [Fact]
    public void SwapRules_must_count_what_it_keeps_and_drops_and_forget_a_removed_rules_open_alerts()
    {
        var engine = new RuleEngine(Set(0, ("kept", 1, Pair(101, 102)), ("gone", 1, Pair(401, 402))));
        var output = new List<AlertEvent>();
        foreach (var e in new[] { Ev("Fault", 0, 101, id: "k1"), Ev("Fault", 0, 401, id: "g1"), Ev("Fault", 1, 402, id: "g2") })
        {
            engine.OnEvent(e, output);
        }

        engine.OnWatermark(T0 + 5, output);
        Assert.Equal(["gone"], output.Select(a => a.RuleId)); // gone's alert is open, revoked by a Run

        var result = engine.SwapRules(Set(1, ("kept", 1, Pair(101, 102))), T0 + 10, output);
        Assert.Equal(new SwapResult(T0 + 10, KeptRules: 1, DroppedRules: 1), result);

        engine.OnEvent(Ev("Run", 20), output);
        engine.Flush(output);
        Assert.Equal(["gone"], output.Select(a => a.RuleId)); // no Revoke: the removed rule's open alert was forgotten
        Assert.Equal(0, engine.ActiveDevices);
    }

    [Fact]
    public void SwapRules_after_the_effective_time_has_passed_must_take_effect_at_the_watermark()
    {
        var engine = new RuleEngine(Set(0, ("a", 1, Pair(101, 102))));
        var output = new List<AlertEvent>();
        engine.OnWatermark(T0 + 50_000, output);

        var result = engine.SwapRules(Set(1, ("b", 1, Pair(201, 202))), T0 + 10_000, output);

        Assert.Equal(T0 + 50_001, result.SwappedAt);
        Assert.Equal(T0 + 50_000, engine.Watermark);
    }

    [Fact]
    public void A_swap_must_give_the_same_alerts_whatever_the_arrival_order_within_the_bound()
    {
        var events = Enumerable.Range(0, 200).Select(i => Ev("Fault", i * 700L, 101 + (i % 2) + (i > 100 ? 100 : 0), device: $"d{i % 7}", id: $"e{i}")).ToList();
        var live = new LiveRuleSets(Set(0, ("a", 1, Pair(101, 102)), ("c", 1, Pair(201, 202))));
        live.Add(new LiveRuleSet(1, T0 + 70_000, Set(1, ("c", 1, Pair(201, 202)), ("b", 1, Pair(101, 202)))));

        var ordered = RunWithSwap(new RuleEngine(live.Base), live, events, boundMs: 3_000);
        var random = new Random(7);
        var shuffled = events.Chunk(4).SelectMany(c => c.OrderBy(_ => random.Next())).ToList(); // 4 events span 2.1 s < the bound
        var other = RunWithSwap(new RuleEngine(live.Base), live, shuffled, boundMs: 3_000);

        Assert.NotEmpty(ordered);
        Assert.Contains(ordered, a => a.RuleId == "a");
        Assert.Contains(ordered, a => a.RuleId == "b");
        Assert.Equal(ordered.Select(a => a.AlertId).Order(StringComparer.Ordinal), other.Select(a => a.AlertId).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_removed_absence_rules_timer_must_not_fire_after_the_swap_for_a_device_untouched_since()
    {
        const string absent = """match absent(Run, Heartbeat) within 30s alert "SILENT" priority 5""";
        var engine = new RuleEngine(Set(0, ("silent", 1, absent), ("kept", 1, Pair(101, 102))));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Run", 0, device: "quiet", id: "r"), output);
        engine.OnEvent(Ev("Run", 0, device: "other", id: "r2"), output);
        engine.OnWatermark(T0 + 1_000, output);

        engine.SwapRules(Set(1, ("kept", 1, Pair(101, 102))), T0 + 10_000, output);
        engine.OnWatermark(T0 + 120_000, output);

        Assert.Empty(output);
        Assert.Equal(0, engine.ActiveDevices);

        // the same without the swap fires for both devices
        var unchanged = new RuleEngine(Set(0, ("silent", 1, absent)));
        unchanged.OnEvent(Ev("Run", 0, device: "quiet", id: "r"), output);
        unchanged.OnEvent(Ev("Run", 0, device: "other", id: "r2"), output);
        unchanged.OnWatermark(T0 + 120_000, output);
        Assert.Equal(2, output.Count);
    }

    [Fact]
    public void A_snapshot_taken_after_a_swap_must_hold_the_kept_states_only_and_restore_under_the_new_set()
    {
        var next = Set(1, ("kept", 1, Pair(101, 102)));
        var engine = new RuleEngine(Set(0, ("kept", 1, Pair(101, 102)), ("gone", 1, Pair(401, 402))));
        var output = new List<AlertEvent>();
        engine.OnEvent(At(Ev("Fault", 0, 101, id: "k1"), 0, 0), output);
        engine.OnEvent(At(Ev("Fault", 0, 401, id: "g1"), 0, 1), output);
        engine.OnEvent(At(Ev("Fault", 0, 401, device: "only-gone", id: "g2"), 0, 2), output);
        engine.OnWatermark(T0, output);
        engine.SwapRules(next, T0 + 1, output);

        var snapshot = engine.SnapshotPartitions([new SourcePartition("events", 0)])[new SourcePartition("events", 0)];
        Assert.Equal(1, engine.ActiveDevices); // the device that held only a removed rule's state is gone

        var restored = new RuleEngine(next);
        Assert.Equal(new RestoreResult(1, 0), restored.RestorePartition(new SourcePartition("events", 0), snapshot));
        restored.OnWatermark(T0, output);
        restored.OnEvent(Ev("Fault", 10, 102, id: "k2"), output);
        restored.OnEvent(Ev("Fault", 10, 402, id: "g3"), output);
        restored.Flush(output);
        Assert.Equal([("kept", "k1,k2")], output.Select(a => (a.RuleId, string.Join(',', a.EventIds))));
    }
}
