using Alerting.Events;
using Alerting.Rules.Templates;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class ShippedTemplatesSpec
{
    internal static readonly TemplateLibrary Library = TemplateLibrary.LoadDirectory(Path.Combine(AppContext.BaseDirectory, "templates"));

    internal static RuleSet Rule(string template, params (string Name, object? Value)[] parameters)
    {
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("r", template, parameters.ToDictionary(p => p.Name, p => p.Value))], Library, Schema);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.RuleSet!;
    }

    private static List<AlertEvent> Run(RuleSet set, params DeviceEvent[] events) => RuleTestKit.Run(new RuleEngine(set), events);

    private static readonly RuleSet FaultPair = Rule("fault-pair", ("codeA", 101), ("codeB", 102), ("window", "1m"), ("alertType", "FAULT_PAIR"), ("priority", 2));

    [Fact]
    public void The_library_must_hold_the_six_shipped_templates()
    {
        Assert.Equal(["alarm-unacknowledged", "fault-pair", "fault-repeat-hotter", "fault-then-alarm", "heartbeat-missing", "threshold"], Library.Templates.Select(t => t.Name).Order(StringComparer.Ordinal));
        Assert.All(Library.Templates, t => Assert.NotEmpty(t.Description));
    }

    [Fact]
    public void A_rule_of_the_sequence_vocabulary_must_be_taken_with_a_bootstrap_as_one_of_the_other_operators()
    {
        Dictionary<string, object?> hotter = new() { ["code"] = 103, ["alertType"] = "HOTTER", ["priority"] = 2 };
        Dictionary<string, object?> pair = new() { ["codeA"] = 101, ["codeB"] = 102, ["window"] = "1m", ["alertType"] = "PAIR", ["priority"] = 2 };
        var sequence = RuleSetCompiler.Compile(1, [new RuleInstance("hot", "fault-repeat-hotter", hotter) { Bootstrap = TimeSpan.FromHours(2) }], Library, Schema);
        Assert.True(sequence.Succeeded, string.Join("; ", sequence.Errors.Select(e => e.Message)));
        Assert.Equal(Language.PatternOperator.Sequence, sequence.RuleSet!.Rules.Single().Operator);
        Assert.True(RuleSetCompiler.Compile(1, [new RuleInstance("ab", "fault-pair", pair) { Bootstrap = TimeSpan.FromHours(2) }], Library, Schema).Succeeded);
    }

    /// <summary>The rules the Handlebars templates rendered for the example rule set: the Scriban ones must render the same.</summary>
    [Theory]
    [InlineData("fault-pair", "codeA=101;codeB=102;window=1m;alertType=FAULT_PAIR;priority=2",
        "match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m|unless Recover(ErrCode = 101)|revoke when Run or Recover(ErrCode in [101, 102])|alert \"FAULT_PAIR\" priority 2 delay 0ms")]
    [InlineData("fault-then-alarm", "code=103;window=1m;alertType=FAULT_ALARM;priority=3;delay=30s",
        "match seq(Fault(ErrCode = 103), Alarm) within 1m|unless Run|revoke when Run or Recover(ErrCode = 103)|alert \"FAULT_ALARM\" priority 3 delay 30s")]
    [InlineData("threshold", "code=5;count=3;window=10m;alertType=FAULT_REPEATED;priority=4",
        "match count(Fault(ErrCode = 5)) >= 3 within 10m|revoke when Recover(ErrCode = 5) or Run|alert \"FAULT_REPEATED\" priority 4 delay 0ms")]
    [InlineData("heartbeat-missing", "trigger=Run;expected=Heartbeat;window=5m;alertType=HEARTBEAT_MISSING;priority=5",
        "match absent(\"Run\", \"Heartbeat\") within 5m|revoke when \"Heartbeat\"|alert \"HEARTBEAT_MISSING\" priority 5 delay 0ms")]
    public void Shipped_templates_must_render_the_rules_they_rendered_before_the_move_to_scriban(string template, string parameters, string expected)
    {
        var values = parameters.Split(';').Select(p => p.Split('=')).ToDictionary(p => p[0], p => (object?)p[1]);
        var rule = Assert.Single(Rule(template, [.. values.Select(v => (v.Key, v.Value))]).Rules);
        Assert.Equal(expected.Split('|'), rule.Text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
    }

    private static DeviceEvent Hot(long at, int temp, string id) => Ev("Fault", at, 103, id: id, payload: "{\"Param\":{\"ErrCode\":103,\"Temp\":" + temp.ToString(System.Globalization.CultureInfo.InvariantCulture) + "}}");

    [Fact]
    public void Fault_repeat_hotter_must_fire_when_the_window_ends_for_three_to_five_faults_hotter_than_the_first_and_no_resume()
    {
        var set = Rule("fault-repeat-hotter", ("code", 103), ("alertType", "FAULT_HOTTER"), ("priority", 3));
        var a = Assert.Single(Run(set, Hot(0, 50, "f1"), Hot(10_000, 40, "f2"), Hot(20_000, 60, "f3"), Hot(30_000, 70, "f4")));
        Assert.Equal((AlertKind.Generate, "FAULT_HOTTER", 3), (a.Kind, a.AlertType, a.Priority));
        Assert.Equal(["f1", "f3", "f4"], a.EventIds);
        Assert.Equal(T0 + 120_000, a.AlertTime);

        var five = Assert.Single(Run(set, [.. Enumerable.Range(0, 7).Select(i => Hot(i * 1000, 50 + i, $"g{i}"))]));
        Assert.Equal(["g0", "g1", "g2", "g3", "g4"], five.EventIds);

        Assert.Empty(Run(set, Hot(0, 50, "f1"), Hot(10_000, 60, "f2"), Hot(20_000, 70, "f3"), Ev("Run", 119_000)));
        Assert.Empty(Run(set, Hot(0, 50, "f1"), Hot(10_000, 60, "f2"), Hot(20_000, 40, "f3")));
        var revoked = Run(set, Hot(0, 50, "f1"), Hot(10_000, 60, "f2"), Hot(20_000, 70, "f3"), Ev("Run", 121_000));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], revoked.Select(x => x.Kind));
    }

    [Fact]
    public void Alarm_unacknowledged_must_raise_a_timeout_for_an_alarm_without_an_acknowledgement_within_the_window()
    {
        var set = Rule("alarm-unacknowledged", ("alertType", "ALARM_UNACKNOWLEDGED"), ("priority", 2), ("ack", "Ack"));
        var t = Assert.Single(Run(set, Ev("Alarm", 0, id: "al")));
        Assert.Equal((AlertKind.Timeout, "ALARM_UNACKNOWLEDGED", 2, T0 + 60_000), (t.Kind, t.AlertType, t.Priority, t.AlertTime));
        Assert.Equal(["al"], t.EventIds);

        Assert.Empty(Run(set, Ev("Alarm", 0, id: "al"), Ev("Ack", 60_000, id: "k")));
        var late = Run(set, Ev("Alarm", 0, id: "al"), Ev("Ack", 90_000, id: "k"));
        Assert.Equal([AlertKind.Timeout, AlertKind.Revoke], late.Select(x => x.Kind));
        Assert.Equal(late[0].AlertId, late[1].AlertId);
    }

    [Fact]
    public void Fault_pair_must_fire_for_both_faults_in_either_order_within_the_window()
    {
        var a = Assert.Single(Run(FaultPair, Ev("Fault", 0, 102), Ev("Fault", 59_000, 101)));
        Assert.Equal(("FAULT_PAIR", 2, TimeSpan.Zero, "r", 1), (a.AlertType, a.Priority, a.Delay, a.RuleId, a.RuleVersion));
        Assert.Single(Run(FaultPair, Ev("Fault", 0, 101), Ev("Fault", 1, 102)));
    }

    [Fact]
    public void Fault_pair_must_not_fire_outside_the_window_after_a_recovery_between_or_for_other_codes_or_devices()
    {
        Assert.Empty(Run(FaultPair, Ev("Fault", 0, 101), Ev("Fault", 60_001, 102)));
        Assert.Empty(Run(FaultPair, Ev("Fault", 0, 101), Ev("Recover", 10, 101), Ev("Fault", 20, 102)));
        Assert.Empty(Run(FaultPair, Ev("Fault", 0, 101), Ev("Fault", 20, 103)));
        Assert.Empty(Run(FaultPair, Ev("Fault", 0, 101, device: "1"), Ev("Fault", 20, 102, device: "2")));
        Assert.Empty(Run(FaultPair, Ev("Fault", 0, 101), Ev("Alarm", 20, 102)));
    }

    [Theory]
    [InlineData("Run", null)]
    [InlineData("Recover", 101L)]
    [InlineData("Recover", 102L)]
    public void Fault_pair_must_be_revoked_by_run_or_recovery_of_either_code(string kind, long? code)
    {
        var alerts = Run(FaultPair, Ev("Fault", 0, 101), Ev("Fault", 10, 102), Ev("Recover", 15, 999), Ev(kind, 20, code));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
        Assert.Equal(alerts[0].AlertId, alerts[1].AlertId);
    }

    private static readonly RuleSet FaultThenAlarm = Rule("fault-then-alarm", ("code", "103"), ("window", "1 minute"), ("alertType", "FAULT_ALARM"), ("priority", 3), ("delay", "10s"));

    [Fact]
    public void Fault_then_alarm_must_fire_for_the_fault_followed_by_an_alarm()
    {
        var a = Assert.Single(Run(FaultThenAlarm, Ev("Fault", 0, 103), Ev("Alarm", 60_000)));
        Assert.Equal(TimeSpan.FromSeconds(10), a.Delay);
    }

    [Fact]
    public void Fault_then_alarm_must_not_fire_out_of_order_late_after_a_run_between_or_for_another_code()
    {
        Assert.Empty(Run(FaultThenAlarm, Ev("Alarm", 0), Ev("Fault", 10, 103)));
        Assert.Empty(Run(FaultThenAlarm, Ev("Fault", 0, 103), Ev("Alarm", 60_001)));
        Assert.Empty(Run(FaultThenAlarm, Ev("Fault", 0, 103), Ev("Run", 5), Ev("Alarm", 10)));
        Assert.Empty(Run(FaultThenAlarm, Ev("Fault", 0, 104), Ev("Alarm", 10)));
    }

    [Theory]
    [InlineData("Run", null)]
    [InlineData("Recover", 103L)]
    public void Fault_then_alarm_must_be_revoked_by_run_or_recovery(string kind, long? code)
    {
        var alerts = Run(FaultThenAlarm, Ev("Fault", 0, 103), Ev("Alarm", 10), Ev("Recover", 15, 101), Ev(kind, 20, code));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
    }

    private static readonly RuleSet Threshold = Rule("threshold", ("code", 5), ("count", 3), ("window", "10s"), ("alertType", "REPEATED"), ("priority", 1));

    [Fact]
    public void Threshold_must_fire_at_count_faults_within_the_window()
    {
        Assert.Single(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 5000, 5), Ev("Fault", 10_000, 5)));
    }

    [Fact]
    public void Threshold_must_not_fire_below_count_outside_the_window_or_for_another_code()
    {
        Assert.Empty(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 5000, 5)));
        Assert.Empty(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 5000, 5), Ev("Fault", 10_001, 5)));
        Assert.Empty(Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 1, 6), Ev("Fault", 2, 5)));
    }

    [Theory]
    [InlineData("Run", null)]
    [InlineData("Recover", 5L)]
    public void Threshold_must_be_revoked_by_recovery_or_run(string kind, long? code)
    {
        var alerts = Run(Threshold, Ev("Fault", 0, 5), Ev("Fault", 1, 5), Ev("Fault", 2, 5), Ev("Recover", 3, 6), Ev(kind, 4, code));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
    }

    private static readonly RuleSet Heartbeat = Rule("heartbeat-missing", ("trigger", "Run"), ("expected", "Heartbeat"), ("window", "30s"), ("alertType", "HB_MISSING"), ("priority", 5));

    [Fact]
    public void Heartbeat_missing_must_fire_when_no_heartbeat_follows_the_trigger_in_time()
    {
        var a = Assert.Single(Run(Heartbeat, Ev("Run", 0), Ev("Heartbeat", 30_001)), x => x.Kind == AlertKind.Generate);
        Assert.Equal(T0 + 30_000, a.AlertTime);
    }

    [Fact]
    public void Heartbeat_missing_must_not_fire_when_the_heartbeat_comes_in_time_or_without_a_trigger()
    {
        Assert.Empty(Run(Heartbeat, Ev("Run", 0), Ev("Heartbeat", 30_000)));
        Assert.Empty(Run(Heartbeat, Ev("Alarm", 0), Ev("Fault", 100_000, 1)));
    }

    [Fact]
    public void Heartbeat_missing_must_be_revoked_when_the_heartbeat_finally_comes()
    {
        var alerts = Run(Heartbeat, Ev("Run", 0), Ev("Heartbeat", 45_000));
        Assert.Equal([AlertKind.Generate, AlertKind.Revoke], alerts.Select(a => a.Kind));
    }
}
