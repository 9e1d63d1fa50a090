using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class RuleEngineSpec
{
    private const string Pair = """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m
        unless Recover(ErrCode = 101)
        revoke when Run or Recover(ErrCode in [101, 102])
        alert "FAULT_PAIR" priority 2
        """;

    [Fact]
    public void All_must_match_both_events_in_either_order_within_the_window()
    {
        var forward = Run(Pair, Ev("Fault", 0, 101, id: "a"), Ev("Fault", 30_000, 102, id: "b"));
        var backward = Run(Pair, Ev("Fault", 0, 102, id: "b"), Ev("Fault", 30_000, 101, id: "a"));

        var a = Assert.Single(forward);
        Assert.Equal(AlertKind.Generate, a.Kind);
        Assert.Equal(["a", "b"], a.EventIds);
        Assert.Equal(T0, a.FaultTime);
        Assert.Equal(T0 + 30_000, a.AlertTime);
        Assert.Equal("FAULT_PAIR", a.AlertType);
        Assert.Equal(2, a.Priority);
        Assert.Single(backward);
    }

    [Fact]
    public void All_must_not_match_events_further_apart_than_the_window()
    {
        Assert.Empty(Run(Pair, Ev("Fault", 0, 101), Ev("Fault", 60_001, 102)));
        Assert.Single(Run(Pair, Ev("Fault", 0, 101), Ev("Fault", 60_000, 102)));
    }

    [Fact]
    public void All_must_not_match_events_of_other_devices_or_codes()
    {
        Assert.Empty(Run(Pair, Ev("Fault", 0, 101, device: "1"), Ev("Fault", 10, 102, device: "2")));
        Assert.Empty(Run(Pair, Ev("Fault", 0, 101), Ev("Fault", 10, 103), Ev("Alarm", 20, 102)));
    }

    [Fact]
    public void All_must_need_distinct_events_for_its_steps()
    {
        const string rule = """match all(Fault, Fault(ErrCode = 7)) within 1m alert "T" priority 1""";
        Assert.Empty(Run(rule, Ev("Fault", 0, 7)));
        var a = Assert.Single(Run(rule, Ev("Fault", 0, 7, id: "x"), Ev("Fault", 5, 7, id: "y")));
        Assert.Equal(["x", "y"], a.EventIds);
    }

    [Fact]
    public void Match_policy_must_raise_one_alert_for_many_As_and_a_B_using_the_earliest_events()
    {
        var alerts = Run(Pair,
            Ev("Fault", 0, 101, id: "a1"), Ev("Fault", 1000, 101, id: "a2"), Ev("Fault", 2000, 101, id: "a3"),
            Ev("Fault", 3000, 102, id: "b1"), Ev("Fault", 4000, 102, id: "b2"));

        var a = Assert.Single(alerts, x => x.Kind == AlertKind.Generate);
        Assert.Equal(["a1", "b1"], a.EventIds);
    }

    [Fact]
    public void Match_policy_must_let_the_rule_fire_again_with_events_after_the_last_matched_one()
    {
        var alerts = Run(Pair,
            Ev("Fault", 0, 101, id: "a1"), Ev("Fault", 1000, 102, id: "b1"),
            Ev("Fault", 2000, 102, id: "b2"), Ev("Fault", 3000, 101, id: "a2"));

        Assert.Equal([["a1", "b1"], ["b2", "a2"]], alerts.Select(a => a.EventIds.ToArray()).ToArray());
        Assert.NotEqual(alerts[0].AlertId, alerts[1].AlertId);
    }

    [Fact]
    public void Unless_must_void_a_match_with_the_event_strictly_between_first_and_last()
    {
        Assert.Empty(Run(Pair, Ev("Fault", 0, 101), Ev("Recover", 1000, 101), Ev("Fault", 2000, 102)));
        Assert.Single(Run(Pair, Ev("Recover", 0, 101), Ev("Fault", 1000, 101), Ev("Fault", 2000, 102)));
        Assert.Single(Run(Pair, Ev("Fault", 0, 101), Ev("Fault", 2000, 102), Ev("Recover", 3000, 101)), a => a.Kind == AlertKind.Generate);
        // an unless event at the very time of the last event is not between them
        Assert.Single(Run(Pair, Ev("Fault", 0, 101, id: "a"), Ev("Recover", 2000, 101, id: "r"), Ev("Fault", 2000, 102, id: "s")));
    }

    [Fact]
    public void Unless_must_leave_later_partial_matches_alive()
    {
        var alerts = Run(Pair, Ev("Fault", 0, 101, id: "a1"), Ev("Recover", 1000, 101), Ev("Fault", 2000, 101, id: "a2"), Ev("Fault", 3000, 102, id: "b"));
        Assert.Equal(["a2", "b"], Assert.Single(alerts).EventIds);
    }

    private const string ThenAlarm = """
        match seq(Fault(ErrCode = 103), Alarm) within 1m
        unless Run
        revoke when Run or Recover(ErrCode = 103)
        alert "FAULT_ALARM" priority 3 delay 5s info "fault then alarm"
        """;

    [Fact]
    public void Seq_must_match_events_in_order_only()
    {
        var a = Assert.Single(Run(ThenAlarm, Ev("Fault", 0, 103, id: "c"), Ev("Alarm", 500, id: "al")));
        Assert.Equal(["c", "al"], a.EventIds);
        Assert.Equal(TimeSpan.FromSeconds(5), a.Delay);
        Assert.Equal("fault then alarm", a.Info);
        Assert.Empty(Run(ThenAlarm, Ev("Alarm", 0), Ev("Fault", 500, 103)));
        Assert.Empty(Run(ThenAlarm, Ev("Fault", 0, 103), Ev("Alarm", 60_001)));
    }

    [Fact]
    public void Seq_must_honour_unless_between_its_events()
    {
        Assert.Empty(Run(ThenAlarm, Ev("Fault", 0, 103), Ev("Run", 100), Ev("Alarm", 500)));
        Assert.Single(Run(ThenAlarm, Ev("Fault", 0, 103), Ev("Run", 100), Ev("Fault", 200, 103), Ev("Alarm", 500)), a => a.Kind == AlertKind.Generate);
    }

    [Fact]
    public void Seq_of_three_must_take_the_earliest_events_in_order()
    {
        const string rule = """match seq(Fault(ErrCode = 1), Fault(ErrCode = 2), Alarm) within 1m alert "S" priority 1""";
        var a = Assert.Single(Run(rule,
            Ev("Fault", 0, 2, id: "x"), Ev("Fault", 1, 1, id: "p"), Ev("Fault", 2, 1, id: "q"),
            Ev("Fault", 3, 2, id: "r"), Ev("Alarm", 4, id: "z")));
        Assert.Equal(["p", "r", "z"], a.EventIds);
    }

    private const string Threshold = """
        match count(Fault(ErrCode = 5)) >= 3 within 10s
        revoke when Recover(ErrCode = 5) or Run
        alert "THRESHOLD" priority 1
        """;

    [Fact]
    public void Count_must_fire_at_the_Nth_event_within_the_window()
    {
        var a = Assert.Single(Run(Threshold, Ev("Fault", 0, 5, id: "1"), Ev("Fault", 1000, 5, id: "2"), Ev("Fault", 2000, 5, id: "3")));
        Assert.Equal(["1", "2", "3"], a.EventIds);
        Assert.Empty(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 1000, 5)));
        Assert.Empty(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 5000, 5), Ev("Fault", 10_001, 5)));
        Assert.Equal(2, Run(Threshold, Enumerable.Range(0, 7).Select(i => Ev("Fault", i * 100, 5)).ToArray()).Count);
    }

    private const string Heartbeat = """
        match absent(Run, Heartbeat) within 30s
        alert "HEARTBEAT_MISSING" priority 4
        """;

    [Fact]
    public void Absent_must_fire_when_the_watermark_passes_the_deadline_without_the_expected_event()
    {
        var engine = new RuleEngine(Set(Heartbeat));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Run", 0, id: "run"), output);
        engine.OnWatermark(T0 + 29_999, output);
        Assert.Empty(output);
        engine.OnWatermark(T0 + 30_000, output);

        var a = Assert.Single(output);
        Assert.Equal(["run"], a.EventIds);
        Assert.Equal(T0, a.FaultTime);
        Assert.Equal(T0 + 30_000, a.AlertTime);
    }

    [Fact]
    public void Absent_must_not_fire_when_the_expected_event_comes_in_time()
    {
        Assert.Empty(Run(Heartbeat, Ev("Run", 0), Ev("Heartbeat", 30_000)));
        Assert.Single(Run(Heartbeat, Ev("Run", 0), Ev("Heartbeat", 30_001)));
        Assert.Empty(Run(Heartbeat, Ev("Heartbeat", 0)));
    }

    [Fact]
    public void Absent_with_the_same_trigger_and_expected_kind_must_rearm_on_each_event()
    {
        const string rule = """match absent(Heartbeat, Heartbeat) within 10s alert "HB" priority 1""";
        var alerts = Run(rule, Ev("Heartbeat", 0), Ev("Heartbeat", 9000), Ev("Heartbeat", 18_000, id: "last"));
        Assert.Equal(["last"], Assert.Single(alerts).EventIds);
    }

    [Fact]
    public void Revoke_must_withdraw_the_alert_with_its_id_on_the_first_later_matching_event()
    {
        var alerts = Run(Pair, Ev("Fault", 0, 101), Ev("Fault", 1000, 102), Ev("Alarm", 1500), Ev("Run", 2000, id: "run"), Ev("Run", 3000));

        Assert.Equal(2, alerts.Count);
        var (g, r) = (alerts[0], alerts[1]);
        Assert.Equal(AlertKind.Revoke, r.Kind);
        Assert.Equal(g.AlertId, r.AlertId);
        Assert.Equal(T0 + 2000, r.AlertTime);
        Assert.Equal(g.FaultTime, r.FaultTime);
        Assert.Equal(["run"], r.EventIds);
    }

    [Fact]
    public void Revoke_must_not_apply_to_events_before_the_alert_and_the_rule_may_fire_again_after()
    {
        var alerts = Run(Pair,
            Ev("Run", 0), Ev("Fault", 100, 101), Ev("Fault", 200, 102),
            Ev("Recover", 300, 102), Ev("Fault", 400, 101), Ev("Fault", 500, 102), Ev("Run", 600));

        Assert.Equal([AlertKind.Generate, AlertKind.Revoke, AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
        Assert.Equal(alerts[2].AlertId, alerts[3].AlertId);
    }

    [Fact]
    public void Revoke_must_expire_after_the_open_alert_time_to_live()
    {
        var engine = new RuleEngine(Set(Pair), new RuleEngineOptions { OpenAlertTimeToLive = TimeSpan.FromMinutes(5) });
        var alerts = Run(engine, [Ev("Fault", 0, 101), Ev("Fault", 10, 102), Ev("Alarm", 300_011), Ev("Run", 300_020)], flush: false);
        Assert.Single(alerts);
        Assert.Equal(0, engine.ActiveDevices);
    }

    [Fact]
    public void Events_must_wait_for_the_watermark()
    {
        var engine = new RuleEngine(Set(Pair));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Fault", 0, 101), output);
        engine.OnEvent(Ev("Fault", 100, 102), output);
        engine.OnWatermark(T0 + 99, output);
        Assert.Empty(output);
        Assert.Equal(1, engine.BufferedEvents);
        engine.OnWatermark(T0 + 100, output);
        Assert.Single(output);
    }

    [Fact]
    public void Events_older_than_the_allowed_lateness_must_be_dropped_and_counted()
    {
        var engine = new RuleEngine(Set(Pair), new RuleEngineOptions { AllowedLateness = TimeSpan.FromSeconds(1) });
        var output = new List<AlertEvent>();
        engine.OnWatermark(T0 + 10_000, output);
        engine.OnEvent(Ev("Fault", 9500, 101), output);
        engine.OnEvent(Ev("Fault", 8000, 102), output);
        Assert.Equal(1, engine.TooLateEvents);
        engine.OnEvent(Ev("Fault", 9800, 102), output);
        Assert.Single(output);
    }

    [Fact]
    public void Alert_ids_must_be_the_same_for_any_arrival_order_within_the_disorder_bound()
    {
        var rules = Set(Pair, ThenAlarm, Threshold, Heartbeat);
        var rnd = new Random(7);
        var kinds = new[] { "Fault", "Recover", "Alarm", "Run", "Heartbeat" };
        var codes = new long[] { 5, 101, 102, 103 };
        var events = Enumerable.Range(0, 3000).Select(i => Ev(
            kinds[rnd.Next(kinds.Length)], i * 250L, codes[rnd.Next(codes.Length)], device: rnd.Next(20).ToString(System.Globalization.CultureInfo.InvariantCulture), id: $"ev{i}")).ToList();

        const long bound = 5000;
        var inOrder = Run(new RuleEngine(rules), events, bound);
        Assert.True(inOrder.Count > 50, $"only {inOrder.Count} alerts");

        for (var trial = 0; trial < 5; trial++)
        {
            // shuffle each event at most `bound` ms from its place: sort by time + random jitter in [0, bound]
            var shuffled = events.OrderBy(e => e.EventTime + rnd.Next((int)bound + 1)).ToList();
            Assert.NotEqual(events.Select(e => e.EventId), shuffled.Select(e => e.EventId));
            var alerts = Run(new RuleEngine(rules), shuffled, bound);
            Assert.Equal(
                inOrder.Select(a => $"{a.Kind}:{a.AlertId}").Order(StringComparer.Ordinal),
                alerts.Select(a => $"{a.Kind}:{a.AlertId}").Order(StringComparer.Ordinal));
        }
    }

    [Fact]
    public void State_must_be_dropped_for_devices_that_go_quiet()
    {
        var engine = new RuleEngine(Set(Pair, ThenAlarm, Threshold, Heartbeat), new RuleEngineOptions
        {
            AllowedLateness = TimeSpan.FromSeconds(5),
            OpenAlertTimeToLive = TimeSpan.FromMinutes(10),
        });
        var output = new List<AlertEvent>();
        for (var d = 0; d < 1000; d++)
        {
            var dev = d.ToString(System.Globalization.CultureInfo.InvariantCulture);
            engine.OnEvent(Ev("Fault", d, 101, device: dev), output);      // partial pair
            engine.OnEvent(Ev("Fault", d + 1, 5, device: dev), output);    // partial count
            engine.OnEvent(Ev("Run", d + 2, device: dev), output);         // absent timer
            if (d % 2 == 0)
            {
                engine.OnEvent(Ev("Fault", d + 3, 103, device: dev), output); // seq then an alarm: open alert
                engine.OnEvent(Ev("Alarm", d + 4, device: dev), output);
            }
        }

        engine.OnWatermark(T0 + 2000, output);
        Assert.Equal(1000, engine.ActiveDevices);
        var busy = engine.EstimateStateBytes();
        Assert.True(busy > 1000 * 100, $"{busy} bytes");

        engine.OnWatermark(T0 + 120_000, output); // windows + lateness passed, absent timers fired
        Assert.Equal(500, engine.ActiveDevices); // only the devices with an open alert awaiting a revoke
        Assert.True(engine.EstimateStateBytes() < busy);

        engine.OnWatermark(T0 + 20 * 60_000, output); // open alerts expired
        Assert.Equal(0, engine.ActiveDevices);
        Assert.Equal(0, engine.EstimateStateBytes());
        Assert.Equal(500 + 1000, output.Count); // 500 fault-then-alarm, 1000 heartbeat-missing
    }

    [Fact]
    public void Events_no_rule_uses_must_not_create_state()
    {
        var engine = new RuleEngine(Set(Pair));
        Run(engine, [Ev("Alarm", 0), Ev("Fault", 1, 999), Ev("Move", 2)], flush: false);
        Assert.Equal(0, engine.ActiveDevices);
    }

    [Fact]
    public void An_engine_whose_devices_all_went_idle_must_give_back_the_room_of_its_tables()
    {
        var engine = new RuleEngine(Set(Pair));
        var events = Enumerable.Range(0, 20_000).Select(d => Ev("Fault", d, 101, device: $"d{d}", id: $"e{d}"));
        Run(engine, events, flush: false);
        Assert.Equal(20_000, engine.ActiveDevices);
        var busy = engine.TableCapacity;
        Assert.True(busy >= 20_000, $"capacity {busy}");

        // the watermark passes every window: no device holds state any more
        engine.OnWatermark(T0 + 3_600_000, new List<AlertEvent>());

        Assert.Equal(0, engine.ActiveDevices);
        Assert.True(engine.TableCapacity <= 3 * 1024 + 256, $"capacity {engine.TableCapacity} after idling (was {busy})");
    }
}
