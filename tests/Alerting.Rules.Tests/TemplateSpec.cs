using Alerting.Rules.Templates;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class TemplateSpec
{
    private static readonly TemplateLibrary Library = ShippedTemplatesSpec.Library;

    private static Dictionary<string, object?> PairParams(params (string Name, object? Value)[] overrides)
    {
        var p = new Dictionary<string, object?> { ["codeA"] = 101, ["codeB"] = 102, ["window"] = "1m", ["alertType"] = "FAULT_PAIR", ["priority"] = 2 };
        foreach (var (name, value) in overrides)
        {
            p[name] = value;
        }

        return p;
    }

    private static RuleSetCompilation Compile(params RuleInstance[] rules) => RuleSetCompiler.Compile(1, rules, Library, Schema);

    [Theory]
    [InlineData("alertType", "X\" priority 1 revoke when any alert \"Y")]
    [InlineData("alertType", "X\npriority 9")]
    [InlineData("alertType", "{{codeA}}")]
    [InlineData("alertType", "a\\b")]
    [InlineData("codeA", "101) or any(ErrCode > 0")]
    [InlineData("codeA", "101, 102")]
    [InlineData("codeA", "1e3")]
    [InlineData("window", "1m unless Run")]
    [InlineData("window", "1m\nunless Run")]
    [InlineData("priority", 2.5)]
    [InlineData("delay", "-1s")]
    public void Parameters_that_could_inject_rule_text_must_be_refused(string name, object value)
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams((name, value))));

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("ab", "fault-pair"), (error.RuleId, error.Template));
        Assert.Contains($"parameter '{name}'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_and_missing_parameters_must_be_refused()
    {
        var p = PairParams(("codeC", 5));
        p.Remove("window");
        var result = Compile(new RuleInstance("ab", "fault-pair", p));
        Assert.Equal(["parameter 'window' is required", "unknown parameter 'codeC' (declared: codeA, codeB, window, alertType, priority, delay)"], result.Errors.Select(e => e.Message).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Parameters_must_be_rendered_canonically()
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams(("codeA", "101"), ("window", "90 seconds"), ("delay", "2000ms"))));
        Assert.True(result.Succeeded);
        var rule = Assert.Single(result.RuleSet!.Rules);
        Assert.Contains("Fault(ErrCode = 101)", rule.Text, StringComparison.Ordinal);
        Assert.Contains("within 90s", rule.Text, StringComparison.Ordinal);
        Assert.Equal(90_000, rule.WindowMs);
        Assert.Equal(TimeSpan.FromSeconds(2), rule.Delay);
    }

    [Fact]
    public void List_parameters_must_render_each_item()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("codes", """
            {{!--
            @param codes list<integer>
            @param kinds list<string> = ["Run", "Resume"]
            --}}
            match count(Fault(ErrCode in [{{codes}}])) >= 2 within 1m
            revoke when any(kind in [{{kinds}}])
            alert "C" priority 1
            """)]);
        var ok = RuleSetCompiler.Compile(1, [new RuleInstance("c", "codes", new Dictionary<string, object?> { ["codes"] = new object[] { 1, 2L, "3" } })], lib, Schema);
        Assert.True(ok.Succeeded, string.Join("\n", ok.Errors));
        Assert.Contains("ErrCode in [1, 2, 3]", ok.RuleSet!.Rules[0].Text, StringComparison.Ordinal);
        Assert.Contains("kind in [\"Run\", \"Resume\"]", ok.RuleSet!.Rules[0].Text, StringComparison.Ordinal);

        var bad = RuleSetCompiler.Compile(1, [new RuleInstance("c", "codes", new Dictionary<string, object?> { ["codes"] = new object[] { 1, "2]) or any(" } })], lib, Schema);
        Assert.False(bad.Succeeded);
    }

    [Fact]
    public void Parameters_from_json_must_be_accepted()
    {
        using var doc = System.Text.Json.JsonDocument.Parse("""{"codeA":101,"codeB":"102","window":"1m","alertType":"FAULT_PAIR","priority":2}""");
        var p = doc.RootElement.EnumerateObject().ToDictionary(x => x.Name, x => (object?)x.Value.Clone());
        Assert.True(Compile(new RuleInstance("ab", "fault-pair", p)).Succeeded);
    }

    [Theory]
    [InlineData("{{!--\n@param code integr\n--}}\nmatch all(Fault) within 1m alert \"X\" priority 1", 2, 13, "unknown parameter type 'integr'")]
    [InlineData("{{!--\n@param code integer\n  @param\n--}}\nmatch all(Fault) within 1m alert \"X\" priority 1", 3, 3, "expected '@param name type")]
    [InlineData("{{!--\n@param w duration = soon\n--}}\nmatch all(Fault) within {{w}} alert \"X\" priority 1", 2, 21, "bad default")]
    [InlineData("{{!--\n@param code integer\n--}}\nmatch all(Fault(ErrCode = {{code}}))\n  within 1m\n  alert \"X\" priorty 1", 6, 13, "expected 'priority'")]
    [InlineData("{{!--\n@param code integer\n--}}\nmatch all(Fault(ErrCode = {{cod}})) within 1m alert \"X\" priority 1", 0, 0, "is every")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{#if}}", 0, 0, "rendering failed")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{#each}}", 0, 0, "Handlebars")]
    public void Template_errors_must_name_the_template_line_and_column(string text, int line, int column, string message)
    {
        var ex = Assert.Throws<RuleSetException>(() => TemplateLibrary.FromSources([KeyValuePair.Create("broken", text)]));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("broken", error.Template);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        if (line > 0)
        {
            Assert.Equal((line, column), (error.Line, error.Column));
        }
    }

    [Fact]
    public void A_rule_error_after_rendering_must_name_the_rule_and_the_line()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{!--
            @param field string
            --}}
            match all(Fault) within 1m
            unless Recover({{field}} = 1)
            alert "X" priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("x1", "t", new Dictionary<string, object?> { ["field"] = "Nope" })], lib, Schema);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("x1", "t", 5, 16), (error.RuleId, error.Template, error.Line, error.Column));
        Assert.Contains("field 'Nope' is not mapped", error.Message, StringComparison.Ordinal);
        Assert.Contains("rule 'x1' (template 't') at line 5, column 16", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_set_with_any_invalid_rule_must_be_refused_and_the_previous_set_stay_in_force()
    {
        var registry = new RuleSetRegistry(Library, Schema);
        var good = new RuleInstance("ab", "fault-pair", PairParams());
        var first = registry.TryUpdate([good]);
        Assert.True(first.Succeeded);
        Assert.Equal(1, registry.Current.Version);

        var refused = registry.TryUpdate([
            good with { Version = 2 },
            new RuleInstance("bad1", "fault-pair", PairParams(("codeA", "x"))),
            new RuleInstance("bad2", "no-such-template", new Dictionary<string, object?>()),
            new RuleInstance("ab", "fault-pair", PairParams()),
        ]);
        Assert.False(refused.Succeeded);
        Assert.Equal(["ab", "bad1", "bad2"], refused.Errors.Select(e => e.RuleId!).Order(StringComparer.Ordinal));
        Assert.Same(first.RuleSet, registry.Current);
        Assert.Equal(1, registry.Current.Rules[0].Version);

        var second = registry.TryUpdate([good with { Version = 2 }, new RuleInstance("off", "fault-pair", PairParams(), Enabled: false)]);
        Assert.True(second.Succeeded);
        Assert.Equal(2, registry.Current.Version);
        Assert.Equal(["ab"], registry.Current.Rules.Select(r => r.Id));
        Assert.Equal(2, registry.Current.Rules[0].Version);
    }

    [Fact]
    public void A_disabled_rule_must_still_be_validated()
    {
        Assert.False(Compile(new RuleInstance("off", "fault-pair", PairParams(("priority", "high")), Enabled: false)).Succeeded);
    }

    [Fact]
    public void Alert_ids_must_depend_on_rule_version_device_and_events()
    {
        var id = AlertIds.Compute("ab", 1, "42", ["e1", "e2"]);
        Assert.Equal(32, id.Length);
        Assert.Equal(id, AlertIds.Compute("ab", 1, "42", ["e1", "e2"]));
        Assert.NotEqual(id, AlertIds.Compute("ab", 2, "42", ["e1", "e2"]));
        Assert.NotEqual(id, AlertIds.Compute("ab", 1, "43", ["e1", "e2"]));
        Assert.NotEqual(id, AlertIds.Compute("ab", 1, "42", ["e1e", "2"]));
        Assert.NotEqual(id, AlertIds.Compute("a", 1, "b42", ["e1", "e2"]));
    }
}
