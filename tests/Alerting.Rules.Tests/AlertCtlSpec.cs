using System.Diagnostics;
using System.Text.Json;
using Alerting.Cli;

namespace Alerting.Rules.Tests;

public sealed class AlertCtlSpec : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alertctl").FullName;

    private const string Rules = """
        rules = [
          { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType = "FAULT_PAIR", priority = 2 } }
          { id = "ca", template = "fault-then-alarm", params { code = 103, window = 1m, alertType = "FAULT_ALARM", priority = 3 }, version = 4 }
        ]
        """;

    private static string Event(string kind, int device, string time, string id, int? code = null) =>
        $$"""{"Message":"{{kind}}","Param":{{{(code is null ? "" : $"\"ErrCode\":{code},")}}"Timestamp":"{{time}}","ID":"{{id}}"},"DeviceNumber":{{device}}}""";

    private static readonly string[] Events =
    [
        Event("Fault", 42, "2026-11-22T08:00:00.000Z", "e1", 101),
        Event("Fault", 7, "2026-11-22T08:00:05.000Z", "e3", 103),
        Event("Fault", 42, "2026-11-22T08:00:02.000Z", "e2", 102),
        "{\"Message\":\"Fault\",",
        Event("Alarm", 7, "2026-11-22T08:00:30.000Z", "e4"),
        Event("Run", 42, "2026-11-22T08:01:00.000Z", "e5"),
    ];

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AlertCtl.Run([.. args, "--templates", Path.Combine(AppContext.BaseDirectory, "templates")], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    private static List<JsonElement> Lines(string text) =>
        text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();

    [Fact]
    public void Rules_test_must_print_each_generate_and_revoke_as_a_json_line_in_emission_order()
    {
        var (code, stdout, stderr) = Run("rules", "test", "--rules", Write("rules.conf", Rules), "--events", Write("events.jsonl", string.Join('\n', Events)));

        Assert.Equal(0, code);
        var lines = Lines(stdout);
        Assert.Equal(["generate:ab:42", "generate:ca:7", "revoke:ab:42"], lines.Select(l => $"{l.GetProperty("kind").GetString()}:{l.GetProperty("ruleId").GetString()}:{l.GetProperty("deviceId").GetString()}"));
        var pair = lines[0];
        Assert.Equal("FAULT_PAIR", pair.GetProperty("alertType").GetString());
        Assert.Equal(2, pair.GetProperty("priority").GetInt32());
        Assert.Equal(1, pair.GetProperty("ruleVersion").GetInt32());
        Assert.Equal("2026-11-22T08:00:02.000Z", pair.GetProperty("alertTime").GetString());
        Assert.Equal("2026-11-22T08:00:00.000Z", pair.GetProperty("faultTime").GetString());
        Assert.Equal(4, lines[1].GetProperty("ruleVersion").GetInt32());
        Assert.Equal(pair.GetProperty("alertId").GetString(), lines[2].GetProperty("alertId").GetString());
        Assert.Equal("2026-11-22T08:01:00.000Z", lines[2].GetProperty("alertTime").GetString());
        Assert.Equal("2026-11-22T08:00:00.000Z", lines[2].GetProperty("faultTime").GetString());
        Assert.Equal(AlertIds.Compute("ab", 1, "42", ["e1", "e2"]), pair.GetProperty("alertId").GetString());
        Assert.StartsWith("line 4: ", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_test_must_give_the_same_alert_ids_for_a_shuffled_file_within_the_disorder_bound()
    {
        var rules = Write("rules.conf", Rules);
        var ordered = Run("rules", "test", "--rules", rules, "--events", Write("a.jsonl", string.Join('\n', Events)));
        var swapped = Run("rules", "test", "--rules", rules, "--events", Write("b.jsonl", string.Join('\n', Events[1], Events[2], Events[0], Events[4], Events[5])));
        Assert.Equal(
            Lines(ordered.Out).Select(l => l.GetProperty("alertId").GetString()).Order(StringComparer.Ordinal),
            Lines(swapped.Out).Select(l => l.GetProperty("alertId").GetString()).Order(StringComparer.Ordinal));
        Assert.Empty(swapped.Err);
    }

    [Fact]
    public void Rules_test_must_flush_the_watermark_at_the_end_of_the_file()
    {
        var rules = Write("hb.conf", """rules = [ { id = "hb", template = "heartbeat-missing", params { trigger = Run, expected = Heartbeat, window = 5m, alertType = HB, priority = 1 } } ]""");
        var (code, stdout, _) = Run("rules", "test", "--rules", rules, "--events", Write("e.jsonl", Event("Run", 1, "2026-11-22T08:00:00.000Z", "r1")));
        Assert.Equal(0, code);
        var line = Assert.Single(Lines(stdout));
        Assert.Equal("2026-11-22T08:05:00.000Z", line.GetProperty("alertTime").GetString());
    }

    [Fact]
    public void Rules_test_must_print_a_timed_out_partial_match_with_its_own_kind()
    {
        var rules = Write("ack.conf", """rules = [ { id = "ack", template = "alarm-unacknowledged", params { alertType = ALARM_UNACKNOWLEDGED, priority = 2 } } ]""");
        var (code, stdout, _) = Run("rules", "test", "--rules", rules, "--events", Write("e.jsonl", Event("Alarm", 1, "2026-11-22T08:00:00.000Z", "a1")));
        Assert.Equal(0, code);
        var line = Assert.Single(Lines(stdout));
        Assert.Equal("timeout", line.GetProperty("kind").GetString());
        Assert.Equal("ALARM_UNACKNOWLEDGED", line.GetProperty("alertType").GetString());
        Assert.Equal("2026-11-22T08:01:00.000Z", line.GetProperty("alertTime").GetString());
        Assert.Equal(AlertIds.ComputeTimeout("ack", 1, "1", ["a1"]), line.GetProperty("alertId").GetString());
    }

    [Fact]
    public void Rules_validate_must_refuse_a_sequence_rule_by_step_name_with_its_position()
    {
        var templates = Directory.CreateDirectory(Path.Combine(_dir, "templates")).FullName;
        File.WriteAllText(Path.Combine(templates, "hotter.sbn"), """
            {{##
            A fault, then an alarm hotter than a step that does not exist.
            @param alertType string
            ##}}
            match seq(a: Fault, b: Alarm($.Param.Temp > c.$.Param.Temp)) within 1m
            alert {{ alertType }} priority 1
            """);
        var rules = Write("seq.conf", """rules = [ { id = "s", template = "hotter", params { alertType = X } } ]""");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AlertCtl.Run(["rules", "validate", "--rules", rules, "--templates", templates], stdout, stderr);
        Assert.Equal(2, code);
        Assert.Contains("step 'b' refers to step 'c', but no step has that name", stderr.ToString(), StringComparison.Ordinal);
        Assert.Contains("line 5, column 45", stderr.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_rules_must_be_reported_with_rule_template_and_position_and_exit_with_2()
    {
        var rules = Write("bad.conf", """
            rules = [
              { id = "ab", template = "fault-pair", params { codeA = 101, codeB = "102) or any(", window = 1m, alertType = "X", priority = 2 } }
              { id = "zz", template = "nope", params { } }
            ]
            """);
        var test = Run("rules", "test", "--rules", rules, "--events", Write("e.jsonl", Events[0]));
        Assert.Equal(2, test.Code);
        Assert.Empty(test.Out);
        Assert.Equal(
            [
                $"rule 'ab' (template 'fault-pair') at line 2, column 71: {rules}: parameter 'codeB' must be an integer, got \"102) or any(\"",
                $"rule 'zz' (template 'nope') at line 3, column 27: {rules}: unknown template 'nope'",
                "rule set refused: 2 error(s)",
            ],
            test.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries));

        var validate = Run("rules", "validate", "--rules", rules);
        Assert.Equal(2, validate.Code);
        Assert.Empty(validate.Out);
        Assert.Equal(test.Err, validate.Err);

        var broken = Run("rules", "validate", "--rules", Write("broken.conf", "rules = [\n  { id = \"ab\", template = \n"));
        Assert.Equal(2, broken.Code);
        Assert.Contains("broken.conf", broken.Err, StringComparison.Ordinal);
    }

    [Fact]
    public void Rules_test_must_carry_a_string_parameter_through_as_data_however_it_tries_to_break_out()
    {
        var rules = Write("inject.conf", """
            rules = [
              { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, priority = 2,
                alertType = "X\" priority 9 delay 1h // {{ codeA }} \\" } }
            ]
            """);
        var (code, stdout, stderr) = Run("rules", "test", "--rules", rules, "--events", Write("e.jsonl", string.Join('\n', Events[0], Events[2])));
        Assert.True(code == 0, stderr);
        var alert = Assert.Single(Lines(stdout));
        Assert.Equal("X\" priority 9 delay 1h // {{ codeA }} \\", alert.GetProperty("alertType").GetString());
        Assert.Equal((2, 0L), (alert.GetProperty("priority").GetInt32(), alert.GetProperty("delayMs").GetInt64()));
    }

    [Fact]
    public void A_broken_or_handlebars_template_must_be_reported_with_file_line_and_column_and_exit_with_2()
    {
        var templates = Directory.CreateDirectory(Path.Combine(_dir, "templates")).FullName;
        File.Copy(Path.Combine(AppContext.BaseDirectory, "templates", "fault-pair.sbn"), Path.Combine(templates, "fault-pair.sbn"));
        var broken = Write("templates/broken.sbn", "{{## @param code integer ##}}\nmatch count(Fault(ErrCode = {{ code }})) >= 2 within 1m\nalert {{ kode }} priority 1\n");
        var legacy = Write("templates/old.hbs", "{{!-- @param code integer --}}\nmatch count(Fault(ErrCode = {{code}})) >= 2 within 1m alert \"X\" priority 1\n");
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var code = AlertCtl.Run(["rules", "validate", "--rules", Write("rules.conf", Rules), "--templates", templates], stdout, stderr);

        Assert.Equal(2, code);
        Assert.Empty(stdout.ToString());
        Assert.Equal(
            [
                $"template 'old' at line 1, column 1: {legacy}: a Handlebars template; templates are Scriban files now: rewrite it as old.sbn (see templates/README.md)",
                $"template 'broken' at line 3, column 10: {broken}: 'kode' is neither a declared parameter (code) nor set by the template; templates have no built-in functions",
                "rule set refused",
            ],
            stderr.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
    }

    [Fact]
    public void Rules_validate_must_accept_the_shipped_example()
    {
        var example = Path.Combine(AppContext.BaseDirectory, "templates", "rules.example.conf");
        var (code, stdout, stderr) = Run("rules", "validate", "--rules", example);
        Assert.True(code == 0, stderr);
        Assert.Equal("3 rule(s) valid\n", stdout);
        Assert.Empty(stderr);
    }

    [Fact]
    public void The_alertctl_program_must_run_as_a_process()
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "alertctl.dll");
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        foreach (var a in new[] { dll, "rules", "test", "--rules", Write("rules.conf", Rules), "--events", Write("events.jsonl", string.Join('\n', Events)) })
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        var stdout = process.StandardOutput.ReadToEnd();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();

        Assert.Equal(0, process.ExitCode);
        Assert.Equal(3, Lines(stdout).Count);
        Assert.Contains("line 4:", stderr, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);
}
