using Alerting.Rules.Language;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class RuleLanguageSpec
{
    private static bool Matches(string condition, Alerting.Events.DeviceEvent e) =>
        Run($"match count(any({condition})) >= 1 within 1s alert \"T\" priority 1", e).Count == 1;

    [Theory]
    [InlineData("ErrCode = 7", true)]
    [InlineData("ErrCode == 7", true)]
    [InlineData("ErrCode != 7", false)]
    [InlineData("ErrCode < 8 and ErrCode >= 7", true)]
    [InlineData("ErrCode > 7 or ErrCode <= 6", false)]
    [InlineData("not ErrCode = 7", false)]
    [InlineData("not (ErrCode = 1 or ErrCode = 2)", true)]
    [InlineData("ErrCode in [1, 7, 9]", true)]
    [InlineData("ErrCode in [1.0, 7.0]", true)]
    [InlineData("ErrCode in []", false)]
    [InlineData("Level > 1.5", true)]
    [InlineData("Level = 2.5", true)]
    [InlineData("Text = \"hot spindle\"", true)]
    [InlineData("Text matches \"^hot\\\\s\"", true)]
    [InlineData("Text matches \"cold\"", false)]
    [InlineData("Text < \"i\"", true)]
    [InlineData("kind = \"Fault\"", true)]
    [InlineData("$.Param.Zone = \"B\"", true)]
    [InlineData("$.Param.Speed >= 1200", true)]
    [InlineData("$.Param.Axes[1].Temp > 80.5", true)]
    [InlineData("$.Param.Axes[2].Temp > 0", false)]
    [InlineData("$.Param.Active = true", true)]
    [InlineData("$.Param.Nope = 1", false)]
    [InlineData("$.Param.Nope != 1", false)]
    [InlineData("$.Param.Zone = 1", false)]
    public void Conditions_must_evaluate_fields_json_paths_and_operators(string condition, bool expected)
    {
        var e = Ev("Fault", 0, 7, level: 2.5, text: "hot spindle",
            payload: """{"Param":{"Zone":"B","Speed":1250,"Active":true,"Axes":[{"Temp":20},{"Temp":81.25}]}}""");
        Assert.Equal(expected, Matches(condition, e));
    }

    [Fact]
    public void Conditions_on_a_missing_field_must_be_false()
    {
        var e = Ev("Fault", 0);
        Assert.False(Matches("ErrCode = 1", e));
        Assert.False(Matches("ErrCode != 1", e));
        Assert.True(Matches("not ErrCode = 1", e));
    }

    [Fact]
    public void A_regex_that_runs_too_long_must_count_as_no_match()
    {
        var rule = CompiledRule.Compile("re", 1, """match count(any(Text matches "^(a+)+$")) >= 1 within 1s alert "T" priority 1""", Schema, regexTimeout: TimeSpan.FromMilliseconds(1));
        var alerts = Run(new RuleEngine(RuleSet.Create(1, [rule], Schema)), [Ev("Fault", 0, text: new string('a', 5000) + "!")]);
        Assert.Empty(alerts);
    }

    [Theory]
    [InlineData("match all(Fault) within 1m\nalert \"X\"", 2, 10, "expected 'priority'")]
    [InlineData("match any(Fault) within 1m alert \"X\" priority 1", 1, 7, "pattern operator")]
    [InlineData("match all(Fault(Foo = 1)) within 1m alert \"X\" priority 1", 1, 17, "field 'Foo' is not mapped")]
    [InlineData("match all(Fault(ErrCode = \"x\")) within 1m alert \"X\" priority 1", 1, 27, "field 'ErrCode' is integer")]
    [InlineData("match all(Fault) within 1x alert \"X\" priority 1", 1, 25, "not a duration")]
    [InlineData("match all(Fault)\n  within 1m\n  unless Run\n  unless Run alert \"X\" priority 1", 4, 3, "'unless' is given twice")]
    [InlineData("match absent(Run, Heartbeat) within 1m unless Run alert \"X\" priority 1", 1, 40, "does not apply to absent")]
    [InlineData("match all(Fault(Text matches \"(\")) within 1m alert \"X\" priority 1", 1, 30, "bad regular expression")]
    [InlineData("match count(Fault) >= 0 within 1m alert \"X\" priority 1", 1, 23, "count must be")]
    [InlineData("match all(Fault(ErrCode = 1 ErrCode = 2)) within 1m alert \"X\" priority 1", 1, 29, "expected ')'")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 extra", 1, 49, "expected 'delay', 'info'")]
    [InlineData("match all(Fault(Text = \"abc)) within 1m", 1, 24, "unterminated string")]
    public void Errors_must_carry_line_and_column(string text, int line, int column, string message)
    {
        var ex = Assert.Throws<RuleSyntaxException>(() => CompiledRule.Compile("r", 1, text, Schema));
        Assert.Contains(message, ex.Message, StringComparison.Ordinal);
        Assert.Equal((line, column), (ex.Line, ex.Column));
    }

    [Fact]
    public void Comments_and_layout_must_not_matter()
    {
        var rule = CompiledRule.Compile("r", 1, """
            # a pair of faults
            match all(
                Fault(ErrCode = 1),   // first
                Fault(ErrCode = 2))
              within 90s
            alert "P" priority 1 info "x # not a comment"
            """, Schema);
        Assert.Equal(PatternOperator.All, rule.Operator);
        Assert.Equal(90_000, rule.WindowMs);
        Assert.Equal("x # not a comment", rule.Info);
    }
}
