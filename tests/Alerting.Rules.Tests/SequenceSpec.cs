using Alerting.Events;
using Alerting.Rules.Language;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>
/// The sequence vocabulary (named steps, quantifiers, contiguity, negations, skip strategies, timed-out partial
/// matches): each spec feeds its events in event-time order and again in reverse arrival order within the
/// disorder bound, and both must give the same alerts with the same ids.
/// </summary>
public sealed class SequenceSpec
{
    // Runs the events in time order (watermark = max seen − 1 ms, so events with equal times wait for it too) and
    // reversed (watermark = max seen − more than the whole span): same alerts, same ids.
    private static List<AlertEvent> Both(string rule, params DeviceEvent[] events) => Both(rule, new RuleEngineOptions(), events);

    private static List<AlertEvent> Both(string rule, RuleEngineOptions options, params DeviceEvent[] events)
    {
        var forward = Run(new RuleEngine(Set(rule), options), events, 1);
        var span = events.Max(e => e.EventTime) - events.Min(e => e.EventTime) + 1;
        var backward = Run(new RuleEngine(Set(rule), options), events.Reverse(), span);
        Assert.Equal(Describe(forward), Describe(backward));
        return forward;
    }

    private static string[] Describe(IEnumerable<AlertEvent> alerts) =>
        [.. alerts.Select(a => $"{a.Kind} {a.AlertId} {a.AlertType} {a.AlertTime} {string.Join(",", a.EventIds)}").Order(StringComparer.Ordinal)];

    private static string[][] Ids(IEnumerable<AlertEvent> alerts, AlertKind kind = AlertKind.Generate) =>
        [.. alerts.Where(a => a.Kind == kind).Select(a => a.EventIds.ToArray())];

    [Fact]
    public void A_plain_seq_keeps_its_operator_and_the_vocabulary_makes_a_sequence_rule()
    {
        Assert.Equal(PatternOperator.Seq, Set("""match seq(Fault, Alarm) within 1m alert "X" priority 1""").Rules[0].Operator);
        Assert.Equal(PatternOperator.Sequence, Set("""match seq(a: Fault, Alarm) within 1m alert "X" priority 1""").Rules[0].Operator);
        Assert.Equal(PatternOperator.Sequence, Set("""match seq(Fault, Alarm) within 1m skip to next alert "X" priority 1""").Rules[0].Operator);
        Assert.Equal(PatternOperator.Sequence, Set("""match seq(Fault, next Alarm) within 1m alert "X" priority 1""").Rules[0].Operator);
    }

    [Theory]
    [InlineData("match seq(a: Fault, a: Alarm) within 1m alert \"X\" priority 1", 1, 21, "step 'a' is named twice")]
    [InlineData("match seq(a: Fault(Level > b.Level), b: Alarm) within 1m alert \"X\" priority 1", 1, 28, "step 'a' refers to step 'b', which does not come before it")]
    [InlineData("match seq(a: Fault, b: Alarm(Level > c.Level)) within 1m alert \"X\" priority 1", 1, 38, "step 'b' refers to step 'c', but no step has that name")]
    [InlineData("match seq(a: Fault, b: Alarm(Nope = 1)) within 1m alert \"X\" priority 1", 1, 30, "step 'b': field 'Nope' is not mapped")]
    [InlineData("match seq(a: Fault, b: Alarm oneOrMore) within 1m alert \"X\" priority 1", 1, 21, "step 'b': the last step cannot take a range")]
    [InlineData("match seq(a: Fault optional, b: Alarm) within 1m alert \"X\" priority 1", 1, 11, "step 'a': the first step cannot be optional")]
    [InlineData("match seq(next a: Fault, b: Alarm) within 1m alert \"X\" priority 1", 1, 11, "step 'a': the first step has no step before it")]
    [InlineData("match seq(a: Fault, b: Alarm, not next Run) within 1m alert \"X\" priority 1", 1, 31, "'not next' cannot end a pattern")]
    [InlineData("match seq(a: Fault, b: Alarm) within 1m skip to first z alert \"X\" priority 1", 1, 55, "skip to step 'z': no step has that name")]
    [InlineData("match seq(a: Fault, b: Alarm reluctant) within 1m alert \"X\" priority 1", 1, 30, "'reluctant' needs a quantifier with a range")]
    [InlineData("match seq(a: Fault, b: Alarm times(3, 2)) within 1m alert \"X\" priority 1", 1, 30, "times(n, m) needs 1 <= n <= m")]
    [InlineData("match all(Fault, Alarm) within 1m skip to next alert \"X\" priority 1", 1, 7, "'skip' and 'on timeout' apply only to seq")]
    [InlineData("match seq(a: Fault, Alarm) within 1m unless Run(Level > a.Level) alert \"X\" priority 1", 1, 57, "unless: 'a.' refers to a step")]
    [InlineData("match all(Fault(Level > a.Level), Alarm) within 1m alert \"X\" priority 1", 1, 25, "'a.' refers to a step")]
    public void Refusals_name_the_step_with_line_and_column(string rule, int line, int column, string message)
    {
        var ex = Assert.Throws<RuleSyntaxException>(() => CompiledRule.Compile("r", 1, rule, Schema));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (ex.Line, ex.Column));
    }

    [Fact]
    public void References_read_an_earlier_step_and_a_range_takes_as_many_as_the_window_allows()
    {
        const string rule = """
            match seq(a: Fault(ErrCode = 103),
                      b: Fault(ErrCode = 103 and Level > a.Level) times(2, 4),
                      not followed by Resume)
            within 2m
            alert "HOTTER" priority 3
            """;
        var alerts = Both(rule,
            Ev("Fault", 0, 103, id: "f1", level: 50),
            Ev("Fault", 10_000, 103, id: "f2", level: 40),
            Ev("Fault", 20_000, 103, id: "f3", level: 60),
            Ev("Fault", 30_000, 103, id: "f4", level: 70),
            Ev("Fault", 40_000, 103, id: "f5", level: 80));

        var a = Assert.Single(alerts);
        Assert.Equal(["f1", "f3", "f4", "f5"], a.EventIds);
        Assert.Equal(T0 + 120_000, a.AlertTime); // held to the end of the window by the trailing 'not followed by'
        Assert.Equal(T0, a.FaultTime);
        Assert.Equal(AlertIds.Compute("r0", 1, "42", ["f1", "f3", "f4", "f5"]), a.AlertId);
    }

    [Fact]
    public void A_trailing_not_followed_by_voids_the_match_when_the_event_comes_inside_the_window()
    {
        const string rule = """match seq(a: Fault, not followed by Resume) within 1m alert "NO_RESUME" priority 3""";
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Resume", 60_000, id: "r")));
        Assert.Equal([["f"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Resume", 60_001, id: "r"))));
    }

    [Fact]
    public void Next_needs_the_very_next_event_of_the_device()
    {
        const string rule = """match seq(a: Fault, next c: Alarm) within 1m alert "X" priority 1""";
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Run", 1000, id: "x"), Ev("Alarm", 2000, id: "a")));
        Assert.Equal([["f", "a"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Alarm", 2000, id: "a"), Ev("Run", 3000, id: "x"))));

        // relaxed (the default) lets other events come in between
        Assert.Equal([["f", "a"]], Ids(Both("""match seq(a: Fault, c: Alarm) within 1m alert "X" priority 1""",
            Ev("Fault", 0, id: "f"), Ev("Run", 1000, id: "x"), Ev("Alarm", 2000, id: "a"))));
    }

    [Fact]
    public void Any_keeps_the_partial_match_waiting_after_it_takes_an_event()
    {
        var events = new[] { Ev("Fault", 0, id: "f"), Ev("Alarm", 1000, id: "a1"), Ev("Alarm", 2000, id: "a2") };
        Assert.Equal([["f", "a1"], ["f", "a2"]], Ids(Both("""match seq(a: Fault, any b: Alarm) within 1m skip none alert "X" priority 1""", events)));
        Assert.Equal([["f", "a1"]], Ids(Both("""match seq(a: Fault, b: Alarm) within 1m skip none alert "X" priority 1""", events)));
    }

    [Fact]
    public void Not_next_voids_a_partial_match_only_for_the_event_right_after_the_step()
    {
        const string rule = """match seq(a: Fault, not next Run, b: Alarm) within 1m alert "X" priority 1""";
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Run", 1000, id: "x"), Ev("Alarm", 2000, id: "a")));
        Assert.Equal([["f", "a"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Ack", 500, id: "k"), Ev("Run", 1000, id: "x"), Ev("Alarm", 2000, id: "a"))));
    }

    [Fact]
    public void Not_followed_by_voids_a_partial_match_when_the_event_comes_between_the_two_steps()
    {
        const string rule = """match seq(a: Fault, not followed by Resume, b: Alarm) within 1m alert "X" priority 1""";
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Resume", 1000, id: "x"), Ev("Alarm", 2000, id: "a")));
        Assert.Equal([["f", "a"]], Ids(Both(rule, Ev("Resume", 0, id: "x"), Ev("Fault", 1000, id: "f"), Ev("Alarm", 2000, id: "a"))));
    }

    [Fact]
    public void Window_boundary_events_exactly_W_apart_match_and_one_ms_more_do_not()
    {
        const string rule = """match seq(a: Fault, b: Alarm) within 1m alert "X" priority 1""";
        Assert.Equal([["f", "a"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Alarm", 60_000, id: "a"))));
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Alarm", 60_001, id: "a")));
    }

    [Fact]
    public void Equal_timestamps_are_ordered_by_event_id()
    {
        const string rule = """match seq(a: Fault, b: Alarm) within 1m alert "X" priority 1""";
        Assert.Equal([["e1", "e2"]], Ids(Both(rule, Ev("Fault", 0, id: "e1"), Ev("Alarm", 0, id: "e2"))));
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "e2"), Ev("Alarm", 0, id: "e1")));
    }

    [Fact]
    public void Greedy_takes_the_most_for_a_range_and_reluctant_the_fewest()
    {
        DeviceEvent[] events = [Ev("Run", 0, id: "s"), Ev("Fault", 1000, 1, id: "f1"), Ev("Fault", 2000, 9, id: "f2"), Ev("Fault", 3000, 9, id: "f3")];
        Assert.Equal([["s", "f1", "f2", "f3"]], Ids(Both("""match seq(a: Run, b: Fault times(1, 2), c: Fault(ErrCode = 9)) within 1m alert "X" priority 1""", events)));
        Assert.Equal([["s", "f1", "f2"]], Ids(Both("""match seq(a: Run, b: Fault times(1, 2) reluctant, c: Fault(ErrCode = 9)) within 1m alert "X" priority 1""", events)));
    }

    [Fact]
    public void Optional_steps_may_be_left_out()
    {
        const string rule = """match seq(a: Fault, b: Alarm optional, c: Resume) within 1m alert "X" priority 1""";
        Assert.Equal([["f", "r"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Resume", 1000, id: "r"))));
        Assert.Equal([["f", "a", "r"]], Ids(Both(rule, Ev("Fault", 0, id: "f"), Ev("Alarm", 500, id: "a"), Ev("Resume", 1000, id: "r"))));
    }

    [Fact]
    public void Skip_past_last_discards_overlapping_matches_and_skip_to_next_keeps_them()
    {
        DeviceEvent[] events = [Ev("Fault", 0, id: "f1"), Ev("Fault", 1000, id: "f2"), Ev("Fault", 2000, id: "f3"), Ev("Alarm", 3000, id: "a")];
        Assert.Equal([["f1", "f2", "a"]], Ids(Both("""match seq(a: Fault, b: Fault, c: Alarm) within 1m alert "X" priority 1""", events)));
        Assert.Equal([["f1", "f2", "a"], ["f2", "f3", "a"]], Ids(Both("""match seq(a: Fault, b: Fault, c: Alarm) within 1m skip to next alert "X" priority 1""", events)));
        Assert.Equal([["f1", "f2", "a"], ["f2", "f3", "a"]], Ids(Both("""match seq(a: Fault, b: Fault, c: Alarm) within 1m skip to first b alert "X" priority 1""", events)));
        Assert.Equal([["f1", "f2", "a"]], Ids(Both("""match seq(a: Fault, b: Fault, c: Alarm) within 1m skip to last c alert "X" priority 1""", events)));
    }

    [Fact]
    public void Skip_none_raises_every_match_up_to_its_cap_per_event_and_counts_the_rest()
    {
        DeviceEvent[] events = [Ev("Fault", 0, id: "f1"), Ev("Fault", 1000, id: "f2"), Ev("Fault", 2000, id: "f3"), Ev("Alarm", 3000, id: "a")];
        Assert.Equal([["f1", "a"], ["f2", "a"], ["f3", "a"]], Ids(Both("""match seq(a: Fault, b: Alarm) within 1m skip none alert "X" priority 1""", events)));

        var engine = new RuleEngine(Set("""match seq(a: Fault, b: Alarm) within 1m skip none max 2 alert "X" priority 1"""));
        Assert.Equal([["f1", "a"], ["f2", "a"]], Ids(Run(engine, events)));
        Assert.Equal(1, engine.SequenceMatchesDropped);
    }

    [Fact]
    public void The_cap_on_partial_matches_keeps_the_earliest_and_counts_what_it_drops()
    {
        DeviceEvent[] events = [Ev("Fault", 0, id: "f1"), Ev("Fault", 1000, id: "f2"), Ev("Fault", 2000, id: "f3"), Ev("Alarm", 3000, id: "a")];
        var options = new RuleEngineOptions { MaxPartialMatches = 2 };
        Assert.Equal([["f1", "a"], ["f2", "a"]], Ids(Both("""match seq(a: Fault, b: Alarm) within 1m skip none alert "X" priority 1""", options, events)));

        var engine = new RuleEngine(Set("""match seq(a: Fault, b: Alarm) within 1m skip none alert "X" priority 1"""), options);
        Run(engine, events);
        Assert.Equal(1, engine.PartialMatchesDropped);
    }

    [Fact]
    public void A_partial_match_whose_window_runs_out_raises_its_timeout_kind_with_a_distinct_id()
    {
        const string rule = """
            match seq(a: Alarm, b: Ack) within 1m
            on timeout alert "ALARM_UNACKNOWLEDGED" priority 2
            """;
        var t = Assert.Single(Both(rule, Ev("Alarm", 0, id: "al"), Ev("Ack", 60_001, id: "k")));
        Assert.Equal(AlertKind.Timeout, t.Kind);
        Assert.Equal("ALARM_UNACKNOWLEDGED", t.AlertType);
        Assert.Equal(2, t.Priority);
        Assert.Equal(["al"], t.EventIds);
        Assert.Equal(T0 + 60_000, t.AlertTime);
        Assert.Equal(AlertIds.ComputeTimeout("r0", 1, "42", ["al"]), t.AlertId);
        Assert.NotEqual(AlertIds.Compute("r0", 1, "42", ["al"]), t.AlertId);

        // acknowledged in time: a rule with only 'on timeout' raises nothing for the full match
        Assert.Empty(Both(rule, Ev("Alarm", 0, id: "al"), Ev("Ack", 60_000, id: "k")));
    }

    [Fact]
    public void A_timeout_waits_for_the_watermark_to_pass_the_end_of_the_window()
    {
        var engine = new RuleEngine(Set("""match seq(a: Alarm, b: Ack) within 1m on timeout alert "U" priority 2"""));
        var output = new List<AlertEvent>();
        engine.OnEvent(Ev("Alarm", 0, id: "al"), output);
        engine.OnWatermark(T0 + 60_000, output);
        Assert.Empty(output);
        engine.OnWatermark(T0 + 60_001, output);
        Assert.Equal(AlertKind.Timeout, Assert.Single(output).Kind);
        Assert.Equal(0, engine.SequenceDevices);
    }

    [Fact]
    public void A_partial_match_timing_out_at_the_same_watermark_as_a_full_match_is_raised_unless_the_skip_discards_it()
    {
        // x and y start together; only x's second step is hotter, so x completes (held by the trailing negation)
        // and y stays partial: both windows end at the same watermark
        DeviceEvent[] events =
        [
            Ev("Fault", 0, 1, id: "x", level: 5), Ev("Fault", 0, 1, id: "y", level: 50), Ev("Fault", 10_000, 2, id: "z", level: 10),
        ];
        const string shape = """
            match seq(a: Fault(ErrCode = 1), b: Fault(ErrCode = 2 and Level > a.Level), not followed by Resume) within 1m
            {0}
            on timeout alert "PARTIAL" priority 1
            alert "FULL" priority 2
            """;
        var toNext = Both(string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, "skip to next"), events);
        Assert.Equal([["x", "z"]], Ids(toNext));
        Assert.Equal([["y"]], Ids(toNext, AlertKind.Timeout));
        Assert.All(toNext, a => Assert.Equal(T0 + 60_000, a.AlertTime));

        var pastLast = Both(string.Format(System.Globalization.CultureInfo.InvariantCulture, shape, ""), events);
        Assert.Equal([["x", "z"]], Ids(pastLast));
        Assert.Empty(Ids(pastLast, AlertKind.Timeout));
    }

    [Fact]
    public void Unless_voids_partial_matches_and_revoke_when_withdraws_the_alert()
    {
        const string rule = """
            match seq(a: Fault, b: Alarm) within 1m
            unless Run
            revoke when Resume
            alert "X" priority 1
            """;
        Assert.Empty(Both(rule, Ev("Fault", 0, id: "f"), Ev("Run", 500, id: "r"), Ev("Alarm", 1000, id: "a")));
        var alerts = Both(rule, Ev("Fault", 0, id: "f"), Ev("Alarm", 1000, id: "a"), Ev("Resume", 2000, id: "u"));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
    }

    [Fact]
    public void Sequence_rules_leave_the_other_operators_untouched_in_the_same_set()
    {
        var set = Set(
            """match seq(Fault(ErrCode = 1), Alarm) within 1m alert "OLD" priority 1""",
            """match seq(a: Fault(ErrCode = 1), next b: Alarm) within 1m alert "NEW" priority 1""");
        var alerts = Run(new RuleEngine(set), [Ev("Fault", 0, 1, id: "f"), Ev("Run", 10, id: "r"), Ev("Alarm", 20, id: "a")]);
        var a = Assert.Single(alerts);
        Assert.Equal("OLD", a.AlertType);
        Assert.Equal(AlertIds.Compute("r0", 1, "42", ["f", "a"]), a.AlertId);
    }
}

/// <summary>Sequence rules' state in partition snapshots (format 2), and format-1 snapshots still restoring.</summary>
public sealed class SequenceCheckpointSpec
{
    private static readonly string[] Rules =
    [
        """
        match seq(a: Fault(ErrCode = 103), b: Fault(ErrCode = 103 and Level > a.Level) times(2, 4), not followed by Run) within 2m
        revoke when Run
        alert "HOTTER" priority 3
        """,
        """
        match seq(a: Alarm, b: Ack) within 1m
        revoke when Ack
        on timeout alert "UNACKNOWLEDGED" priority 2
        """,
    ];

    private static readonly SourcePartition P0 = new("events", 0);

    private static List<DeviceEvent> Traffic()
    {
        var events = new List<DeviceEvent>();
        var random = new Random(7);
        for (var i = 0; i < 400; i++)
        {
            var device = $"d{random.Next(6)}";
            var at = i * 4_000L;
            var e = random.Next(10) switch
            {
                < 5 => Ev("Fault", at, 103, device: device, id: $"x{i}", level: random.Next(100)),
                < 7 => Ev("Alarm", at, device: device, id: $"x{i}"),
                < 9 => Ev("Ack", at, device: device, id: $"x{i}"),
                _ => Ev("Run", at, device: device, id: $"x{i}"),
            };
            events.Add(At(e, 0, i));
        }

        return events;
    }

    private static void Feed(RuleEngine engine, IEnumerable<DeviceEvent> events, List<AlertEvent> output)
    {
        foreach (var e in events)
        {
            engine.OnEvent(e, output);
            engine.OnWatermark(e.EventTime, output);
        }
    }

    [Theory]
    [InlineData(57)]
    [InlineData(200)]
    [InlineData(333)]
    public void A_restored_snapshot_must_go_on_matching_like_an_uninterrupted_run(int cut)
    {
        var events = Traffic();
        var whole = new RuleEngine(Set(Rules));
        var uninterrupted = new List<AlertEvent>();
        Feed(whole, events, uninterrupted);
        whole.Flush(uninterrupted);
        Assert.Contains(uninterrupted, a => a.Kind == AlertKind.Generate);
        Assert.Contains(uninterrupted, a => a.Kind == AlertKind.Timeout);
        Assert.Contains(uninterrupted, a => a.Kind == AlertKind.Revoke);

        var first = new RuleEngine(Set(Rules));
        var output = new List<AlertEvent>();
        Feed(first, events.Take(cut), output);
        var snapshot = first.SnapshotPartitions([P0])[P0];
        Assert.True(first.SequenceDevices > 0);

        var second = new RuleEngine(Set(Rules));
        var restored = second.RestorePartition(P0, snapshot);
        Assert.Equal(first.SequenceDevices, restored.Devices);
        Feed(second, events.Skip(cut), output);
        second.Flush(output);

        Assert.Equal(
            uninterrupted.Select(a => $"{a.Kind} {a.AlertId} {a.AlertTime}").Order(StringComparer.Ordinal),
            output.Select(a => $"{a.Kind} {a.AlertId} {a.AlertTime}").Order(StringComparer.Ordinal));
    }

    [Fact]
    public void A_rule_gone_from_the_set_drops_its_state_and_removing_the_partition_drops_the_devices()
    {
        var engine = new RuleEngine(Set(Rules));
        var output = new List<AlertEvent>();
        Feed(engine, [At(Ev("Alarm", 0, device: "d1", id: "a"), 0, 0)], output);
        var snapshot = engine.SnapshotPartitions([P0])[P0];

        var other = new RuleEngine(Set("""match seq(a: Alarm, next b: Ack) within 1m alert "X" priority 1"""));
        Assert.Equal(new RestoreResult(0, 1), other.RestorePartition(P0, snapshot));

        Assert.Equal(1, engine.RemovePartition(P0));
        Assert.Equal(0, engine.SequenceDevices);
        engine.Flush(output);
        Assert.Empty(output);
    }

    [Fact]
    public void A_format1_snapshot_must_restore_under_a_set_with_sequence_rules()
    {
        var engine = new RuleEngine(Set([.. SnapshotCompatibilitySpec.Rules, Rules[1]]), SnapshotCompatibilitySpec.Options);
        var stored = File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "Resources", "engine-snapshot-format1-p0.bin"));
        Assert.Equal(1, BitConverter.ToInt32(stored, 0));
        var restored = engine.RestorePartition(P0, stored);
        Assert.True(restored.Devices > 0);
        Assert.Equal(0, engine.SequenceDevices);

        // and what it writes back is format 2
        Assert.Equal(2, BitConverter.ToInt32(engine.SnapshotPartitions([P0])[P0], 0));
    }
}

/// <summary>Arrival order and rule-set swaps: the sequence automaton's alerts depend on the events alone.</summary>
public sealed class SequenceOrderSpec
{
    private static readonly string[] Rules =
    [
        """match seq(a: Fault(ErrCode = 1), b: Fault(ErrCode = 1 and Level > a.Level) times(1, 3), not followed by Run) within 20s revoke when Run alert "HOTTER" priority 3""",
        """match seq(a: Alarm, b: Ack) within 15s revoke when Ack on timeout alert "UNACK" priority 2""",
        """match seq(a: Fault, next b: Alarm, not followed by Run, c: Ack) within 30s skip to next on timeout alert "PART" priority 1 alert "FULL" priority 2""",
        """match seq(a: Fault, any b: Alarm optional, c: Ack) within 10s skip none max 4 alert "ANY" priority 1""",
    ];

    private static List<DeviceEvent> Traffic(int seed)
    {
        var random = new Random(seed);
        var kinds = new[] { "Fault", "Fault", "Alarm", "Ack", "Run", "Heartbeat" };
        return [.. Enumerable.Range(0, 600).Select(i => Ev(
            kinds[random.Next(kinds.Length)], (i * 700L) + random.Next(3) * 100, code: random.Next(1, 3), device: $"d{random.Next(4)}", id: $"e{i:D4}", level: random.Next(50)))];
    }

    private static string[] Describe(IEnumerable<AlertEvent> alerts) =>
        [.. alerts.Select(a => $"{a.Kind} {a.AlertId} {a.AlertType} {a.AlertTime} {a.FaultTime} {string.Join(",", a.EventIds)}").Order(StringComparer.Ordinal)];

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void Alerts_and_ids_must_not_depend_on_the_arrival_order_within_the_disorder_bound(int seed)
    {
        const long Bound = 5_000;
        var events = Traffic(seed);
        var inOrder = Run(new RuleEngine(Set(Rules)), events.OrderBy(e => e.EventTime), 1);
        Assert.Contains(inOrder, a => a.Kind == AlertKind.Generate);
        Assert.Contains(inOrder, a => a.Kind == AlertKind.Timeout);
        Assert.Contains(inOrder, a => a.Kind == AlertKind.Revoke);

        // each event arrives up to the bound late: sorted by its time plus a random delay below the bound
        var random = new Random(seed * 31);
        var disordered = events.Select(e => (e, Arrival: e.EventTime + random.Next((int)Bound))).OrderBy(x => x.Arrival).Select(x => x.e).ToList();
        var shuffled = Run(new RuleEngine(Set(Rules)), disordered, Bound);
        Assert.Equal(Describe(inOrder), Describe(shuffled));
    }

    [Fact]
    public void A_swap_keeps_the_state_of_a_kept_sequence_rule_and_drops_that_of_a_removed_one()
    {
        var set = Set(Rules[1]);
        var kept = new RuleEngine(set);
        var output = new List<AlertEvent>();
        kept.OnEvent(Ev("Alarm", 0, id: "al"), output);
        kept.OnWatermark(T0 + 1_000, output);
        kept.SwapRules(RuleSet.Create(2, set.Rules, Schema), T0 + 2_000, output);
        kept.Flush(output);
        Assert.Equal(AlertKind.Timeout, Assert.Single(output).Kind);

        var dropped = new RuleEngine(set);
        output.Clear();
        dropped.OnEvent(Ev("Alarm", 0, id: "al"), output);
        dropped.OnWatermark(T0 + 1_000, output);
        dropped.SwapRules(RuleSet.Create(2, [Language.CompiledRule.Compile("r0", 2, Rules[1], Schema)], Schema), T0 + 2_000, output);
        dropped.Flush(output);
        Assert.Empty(output);
        Assert.Equal(0, dropped.SequenceDevices);
    }
}
