using Alerting.Rules.Storage;

namespace Alerting.Rules.Tests;

public sealed class RuleFileSpec
{
    [Fact]
    public void A_rule_file_must_give_rule_instances_with_typed_parameters()
    {
        var rules = RuleFile.Parse("""
            rules = [
              { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType = "FAULT_PAIR", priority = 2 } }
              { id = "t", template = "threshold", params { code = 5, count = 3, window = "10s", alertType = T, priority = 1, codes = [1, 2.5, x] }, enabled = false, version = 3 }
            ]
            """);

        Assert.Equal(2, rules.Count);
        Assert.Equal(("ab", "fault-pair", true, 1), (rules[0].Id, rules[0].Template, rules[0].Enabled, rules[0].Version));
        Assert.Equal(101L, rules[0].Parameters["codeA"]);
        Assert.Equal("1m", rules[0].Parameters["window"]);
        Assert.Equal((false, 3), (rules[1].Enabled, rules[1].Version));
        Assert.Equal(new object[] { 1L, 2.5, "x" }, (List<object?>)rules[1].Parameters["codes"]!);
    }

    [Fact]
    public void Structural_errors_must_carry_the_file_position()
    {
        var ex = Assert.Throws<RuleSetException>(() => RuleFile.Parse("""
            rules = [
              { id = "ab", params { } }
              { id = "x", template = "t", params = 5, colour = red }
            ]
            """, "r.conf"));
        Assert.Equal([(2, 3), (3, 40)], ex.Errors.Select(e => (e.Line, e.Column)));
        Assert.Contains("needs an 'id' and a 'template'", ex.Errors[0].Message, StringComparison.Ordinal);

        var syntax = Assert.Throws<RuleSetException>(() => RuleFile.Parse("rules = [ { id = \n", "s.conf"));
        Assert.Contains("s.conf", Assert.Single(syntax.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_object_parameter_must_be_refused_by_the_template()
    {
        var rules = RuleFile.Parse("""rules = [ { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType { a = 1 }, priority = 2 } } ]""");
        var result = RuleSetCompiler.Compile(1, rules, ShippedTemplatesSpec.Library, RuleTestKit.Schema);
        Assert.Contains("parameter 'alertType'", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_bootstrap_must_be_read_with_its_alert_mode()
    {
        var rules = RuleFile.Parse("""
            rules = [
              { id = "a", template = "t", bootstrap = 2h }
              { id = "b", template = "t", bootstrap = 90m, bootstrap-alerts = suppress }
              { id = "c", template = "t" }
            ]
            """);

        Assert.Equal(
            [(TimeSpan.FromHours(2), BootstrapAlerts.Emit), (TimeSpan.FromMinutes(90), BootstrapAlerts.Suppress), ((TimeSpan?)null, BootstrapAlerts.Emit)],
            rules.Select(r => (r.Bootstrap, r.BootstrapAlerts)));
    }

    [Theory]
    [InlineData("bootstrap = soon", "is not a positive duration")]
    [InlineData("bootstrap = 0s", "is not a positive duration")]
    [InlineData("bootstrap = \"-1h\"", "is not a positive duration")]
    [InlineData("bootstrap = 8d", "at most 7 days")]
    [InlineData("bootstrap = 1h, bootstrap-alerts = drop", "is not emit or suppress")]
    [InlineData("bootstrap-alerts = emit", "the rule has no bootstrap")]
    public void A_bad_bootstrap_must_be_refused_at_its_position(string setting, string message)
    {
        var ex = Assert.Throws<RuleSetException>(() => RuleFile.Parse($$"""
            rules = [
              { id = "a", template = "t",
                {{setting}} }
            ]
            """, "b.conf"));
        var error = Assert.Single(ex.Errors);
        Assert.Equal(3, error.Line);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }
}
