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
    [InlineData("alertType", "X\npriority 9")]
    [InlineData("alertType", "X\r\nrevoke when any")]
    [InlineData("alertType", "tab\there")]
    [InlineData("alertType", "nul\0")]
    [InlineData("alertType", "bidi \u202E reversed")]
    [InlineData("alertType", 42L)]
    [InlineData("codeA", "101) or any(ErrCode > 0")]
    [InlineData("codeA", "101, 102")]
    [InlineData("codeA", "1e3")]
    [InlineData("codeA", "{{ codeB }}")]
    [InlineData("codeA", "1000000000000000000000")]
    [InlineData("window", "1m unless Run")]
    [InlineData("window", "1m\nunless Run")]
    [InlineData("window", "1m // comment")]
    [InlineData("window", "999999999999999d")]
    [InlineData("priority", 2.5)]
    [InlineData("priority", "2 delay 1h")]
    [InlineData("delay", "-1s")]
    public void Parameters_that_could_inject_rule_text_must_be_refused(string name, object value)
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams((name, value))));

        Assert.False(result.Succeeded);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("ab", "fault-pair"), (error.RuleId, error.Template));
        Assert.Contains($"parameter '{name}'", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.ToString());
    }

    [Fact]
    public void Lone_surrogates_must_be_refused()
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams(("alertType", "lone " + (char)0xD800 + " surrogate"))));
        Assert.Contains("parameter 'alertType' holds the character U+D800 at position 6", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(201)]
    [InlineData(100_000)]
    public void Very_long_strings_must_be_refused(int length)
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams(("alertType", new string('x', length)))));
        var error = Assert.Single(result.Errors);
        Assert.Contains("parameter 'alertType' is longer than 200 characters", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Values that would change the rule if they were copied into it as text.</summary>
    public static TheoryData<string> InertStrings() =>
    [
        "X\" priority 1 revoke when any alert \"Y",
        "\"",
        "\\",
        "\\\"",
        "a\\b",
        "ends with a backslash \\",
        "// the rest is a comment",
        "# the rest is a comment",
        "match all(Fault) within 1m",
        "revoke when Run",
        "X priority 9 delay 1h info",
        ") or any(",
        "{{ codeA }}",
        "{{ include 'x' }}",
        "{% raw %}{{ end }}",
        "{{## comment ##}}",
        "'single' \"double\"",
        "$.Param.Zone",
        "Störung 障害 🚨",
        new string('q', 200),
    ];

    [Theory]
    [MemberData(nameof(InertStrings))]
    public void String_parameters_must_be_rendered_as_one_literal_whatever_they_hold(string value)
    {
        var result = Compile(new RuleInstance("ab", "fault-pair", PairParams(("alertType", value))));

        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var rule = Assert.Single(result.RuleSet!.Rules);
        Assert.Equal(value, rule.AlertType);
        Assert.Equal((2, 60_000L, TimeSpan.Zero, ""), (rule.Priority, rule.WindowMs, rule.Delay, rule.Info));
        var alert = Assert.Single(RuleTestKit.Run(new RuleEngine(result.RuleSet), [Ev("Fault", 0, 101), Ev("Fault", 10, 102)]));
        Assert.Equal(value, alert.AlertType);
    }

    [Theory]
    [MemberData(nameof(InertStrings))]
    public void String_parameters_must_stay_literals_in_conditions_and_kinds(string value)
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("zone", """
            {{##
            @param zone string
            @param kind string
            ##}}
            match count(any(kind = {{ kind }} and $.Param.Zone = {{ zone }})) >= 1 within 1m
            revoke when {{ kind }}
            alert "Z" priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("z", "zone", new Dictionary<string, object?> { ["zone"] = value, ["kind"] = value })], lib, Schema);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var engine = new RuleEngine(result.RuleSet!);
        var zone = System.Text.Json.JsonSerializer.Serialize(new { Param = new { Zone = value } });
        Assert.Empty(RuleTestKit.Run(engine, [Ev("Fault", 0, payload: zone), Ev(value, 5, payload: "{\"Param\":{\"Zone\":\"B\"}}")]));
        var alert = Assert.Single(RuleTestKit.Run(new RuleEngine(result.RuleSet!), [Ev(value, 0, payload: zone)]));
        Assert.Equal("Z", alert.AlertType);
    }

    [Fact]
    public void A_string_built_by_the_template_must_still_be_written_as_one_literal()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{##
            @param name string
            ##}}
            match all(Fault) within 1m
            alert {{ name + "\" priority 9 info \"" }} priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("t", "t", new Dictionary<string, object?> { ["name"] = "N" })], lib, Schema);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        var rule = Assert.Single(result.RuleSet!.Rules);
        Assert.Equal(("N\" priority 9 info \"", 1, ""), (rule.AlertType, rule.Priority, rule.Info));
    }

    [Fact]
    public void Member_names_and_object_keys_must_not_be_taken_for_variables()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{##
            @param codes list<integer>
            ##}}
            {{ o = { first: codes[0] } }}match count(Fault(ErrCode = {{ o.first }})) >= {{ codes.size }} within 1m
            alert "X" priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("t", "t", new Dictionary<string, object?> { ["codes"] = new[] { 7, 8, 9 } })], lib, Schema);
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        Assert.Contains("count(Fault(ErrCode = 7)) >= 3 within 1m", result.RuleSet!.Rules[0].Text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_rule_longer_than_the_output_limit_must_fail_to_render_not_be_cut()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("long", """
            {{##
            @param text string
            ##}}
            match all(Fault) within 1m
            {{ s = "" }}{{ for i in 1..400 }}{{ s = s + text }}{{ end }}alert "X" priority 1 info {{ s }}
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("l", "long", new Dictionary<string, object?> { ["text"] = new string('x', 200) })], lib, Schema);

        var error = Assert.Single(result.Errors);
        Assert.Equal(("l", "long", 5), (error.RuleId, error.Template, error.Line));
        Assert.Contains("long: rendering failed", error.Message, StringComparison.Ordinal);
        Assert.True(RuleSetCompiler.Compile(1, [new RuleInstance("l", "long", new Dictionary<string, object?> { ["text"] = "x" })], lib, Schema).Succeeded);
    }

    private static readonly TemplateLibrary Typed = TemplateLibrary.FromSources([KeyValuePair.Create("typed", """
        {{##
        @param level number = 1.5
        @param kinds list<string> = ["Run"]
        @param windows list<duration> = [1m]
        @param codes list<integer> = [1]
        ##}}
        match count(any(kind in [{{ kinds }}] and Level >= {{ level }} and ErrCode in [{{ codes }}])) >= 1 within {{ windows[0] }}
        alert "T" priority 1
        """)]);

    [Theory]
    [InlineData("level", "1.5) or any(Level > 0")]
    [InlineData("level", "1.5 // c")]
    [InlineData("level", "NaN")]
    [InlineData("level", "Infinity")]
    [InlineData("codes", "1, 2")]
    [InlineData("codes", "[1]")]
    public void Typed_and_list_parameters_that_could_inject_rule_text_must_be_refused(string name, object value)
    {
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", new Dictionary<string, object?> { [name] = value })], Typed, Schema);
        Assert.Contains($"parameter '{name}'", Assert.Single(result.Errors).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void List_items_must_be_checked_and_written_one_by_one()
    {
        Dictionary<string, object?> P(string name, object value) => new() { [name] = value };
        var rendered = RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", P("kinds", new object[] { "Run\"]) or any(kind = \"x", "Resume" }))], Typed, Schema);
        Assert.True(rendered.Succeeded, string.Join("\n", rendered.Errors));
        Assert.Contains("kind in [\"Run\\\"]) or any(kind = \\\"x\", \"Resume\"]", rendered.RuleSet!.Rules[0].Text, StringComparison.Ordinal);

        Assert.Contains("parameter 'windows' must be a duration", Assert.Single(RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", P("windows", new object[] { "1m", "1m) or any(" }))], Typed, Schema).Errors).Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'kinds' holds the character U+000A", Assert.Single(RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", P("kinds", new object[] { "Run", "a\nb" }))], Typed, Schema).Errors).Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'codes' has more than 100 items", Assert.Single(RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", P("codes", Enumerable.Range(0, 101).Cast<object>().ToArray()))], Typed, Schema).Errors).Message, StringComparison.Ordinal);
        Assert.Contains("parameter 'codes' must be an integer, got Object[]", Assert.Single(RuleSetCompiler.Compile(1, [new RuleInstance("t", "typed", P("codes", new object[] { new object[] { 1 } }))], Typed, Schema).Errors).Message, StringComparison.Ordinal);
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
            {{##
            @param codes list<integer>
            @param kinds list<string> = ["Run", "Resume"]
            ##}}
            match count(Fault(ErrCode in [{{ codes }}])) >= 2 within 1m
            revoke when any(kind in [{{ kinds }}])
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
    [InlineData("{{##\n@param code integr\n##}}\nmatch all(Fault) within 1m alert \"X\" priority 1", 2, 13, "unknown parameter type 'integr'")]
    [InlineData("{{##\n@param code integer\n  @param\n##}}\nmatch all(Fault) within 1m alert \"X\" priority 1", 3, 3, "expected '@param name type")]
    [InlineData("{{## @param w duration = soon\n##}}\nmatch all(Fault) within {{ w }} alert \"X\" priority 1", 1, 26, "bad default")]
    [InlineData("{{##\n@param code integer\n##}}\nmatch all(Fault(ErrCode = {{ code }}))\n  within 1m\n  alert \"X\" priorty 1", 6, 13, "expected 'priority'")]
    [InlineData("{{##\n@param code integer\n##}}\nmatch all(Fault(ErrCode = {{ cod }})) within 1m alert \"X\" priority 1", 4, 30, "'cod' is neither a declared parameter (code)")]
    [InlineData("{{##\n@param code integer\n##}}\nmatch all(Fault) within 1m alert \"X\" priority 1\n{{ if code > 5 }}{{ nope }}{{ end }}", 5, 21, "'nope' is neither a declared parameter")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{ include 'other' }}", 1, 52, "'include' is neither")]
    [InlineData("{{##\n@param t string\n##}}\nmatch all(Fault) within 1m\nalert {{ string.upcase t }} priority 1", 5, 10, "'string' is neither")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{ func f; ret 1; end }}", 1, 52, "templates cannot define functions")]
    [InlineData("{{##\n@param func integer\n##}}\nmatch all(Fault) within 1m alert \"X\" priority 1 {{ func f; ret 1; end }}", 4, 52, "templates cannot define functions")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1\n {{ if }}", 2, 8, "not a valid Scriban template")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{ for i in 1..100000 }}{{ end }}", 1, 0, "rendering failed")]
    [InlineData("match all(Fault) within 1m alert \"X\" priority 1 {{ x = 'y' * 100000 }}{{ x }}", 1, 0, "rendering failed")]
    [InlineData("{{##\n@param w duration\n##}}\nmatch all(Fault) within 1m\nalert \"X\" priority 1 {{ w.milliseconds }}", 5, 0, "rendering failed")]
    [InlineData("{{##\n@param w duration\n##}}\nmatch all(Fault) within 1m\nalert \"X\" priority 1 {{ w = 5 }}", 5, 0, "rendering failed")]
    [InlineData("{{##\n@param w duration\n##}}\nmatch all(Fault) within 1m\nalert \"X\" priority 1 {{ [w, [w]] }}", 5, 0, "a list inside a list")]
    [InlineData("{{!--\n@param code integer\n--}}\nmatch all(Fault) within 1m alert \"X\" priority 1", 1, 1, "a Handlebars header")]
    [InlineData("{{##\n@param code integer\nmatch all(Fault) within 1m alert \"X\" priority 1", 1, 1, "is not closed with '##}}'")]
    public void Template_errors_must_name_the_template_line_and_column(string text, int line, int column, string message)
    {
        var ex = Assert.Throws<RuleSetException>(() => TemplateLibrary.FromSources([KeyValuePair.Create("broken", text)]));
        var error = Assert.Single(ex.Errors);
        Assert.Equal("broken", error.Template);
        Assert.StartsWith("broken: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Equal(line, error.Line);
        if (column > 0)
        {
            Assert.Equal(column, error.Column);
        }
    }

    [Fact]
    public void A_rule_error_after_rendering_must_name_the_rule_and_the_template_line()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{##
            @param code integer
            ##}}
            match all(Fault) within 1m
            unless Recover(Nope = {{ code }})
            alert "X" priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("x1", "t", new Dictionary<string, object?> { ["code"] = 5 })], lib, Schema);
        var error = Assert.Single(result.Errors);
        Assert.Equal(("x1", "t", 5, 16), (error.RuleId, error.Template, error.Line, error.Column));
        Assert.Contains("field 'Nope' is not mapped", error.Message, StringComparison.Ordinal);
        Assert.StartsWith("rule 'x1' (template 't') at line 5, column 16: t: ", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public void Positions_must_be_those_of_the_template_even_when_loops_move_the_rendered_lines()
    {
        var lib = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{##
            @param codes list<integer>
            @param text string
            ##}}
            match all(
            {{~ for c in codes ~}}
            {{ if !for.first }}, {{ end }}Fault(ErrCode = {{ c }})
            {{ end ~}}
            ) within 1m
            unless Recover(ErrCode = {{ text }}) or Recover(Nope = 1)
            alert "X" priority 1
            """)]);
        var result = RuleSetCompiler.Compile(1, [new RuleInstance("r", "t", new Dictionary<string, object?> { ["codes"] = new[] { 1, 2, 3 }, ["text"] = "x" })], lib, Schema);
        var error = Assert.Single(result.Errors);
        Assert.Equal((10, 29), (error.Line, error.Column)); // the {{ text }} expression: a string is no integer
        Assert.Contains("(rendered line: unless Recover(ErrCode = \"x\") or Recover(Nope = 1))", error.Message, StringComparison.Ordinal);

        var raw = TemplateLibrary.FromSources([KeyValuePair.Create("t", """
            {{##
            @param codes list<integer>
            ##}}

            match all(
            {{~ for c in codes ~}}
            {{ if !for.first }}, {{ end }}Fault(ErrCode = {{ c }})
            {{ end ~}}
            ) within 1m
            unless Recover(Nope = 1)
            alert "X" priority 1
            """)]);
        var rawError = Assert.Single(RuleSetCompiler.Compile(1, [new RuleInstance("r", "t", new Dictionary<string, object?> { ["codes"] = new[] { 1, 2, 3 } })], raw, Schema).Errors);
        Assert.Equal((10, 16), (rawError.Line, rawError.Column)); // 'Nope', written as is by the template

        var text = result.Errors[0].Message;
        var second = RuleSetCompiler.Compile(1, [new RuleInstance("r", "t", new Dictionary<string, object?> { ["codes"] = new[] { 1, 2, 3 }, ["text"] = "x" }) with { Parameters = new Dictionary<string, object?> { ["codes"] = new[] { 4 }, ["text"] = "y" } }], lib, Schema);
        Assert.Equal((10, 29), (second.Errors[0].Line, second.Errors[0].Column));
        Assert.NotEqual(text, second.Errors[0].Message);
    }

    [Fact]
    public void Parameter_errors_must_name_the_rule_file_line_and_column()
    {
        var rules = Storage.RuleFile.Parse("""
            rules = [
              { id = "ab", template = "fault-pair", params { codeA = 101, codeB = "x", window = 1m, alertType = "A", priority = 2 } }
              { id = "cd", template = "nope" }
              { id = "ef", template = "fault-pair", params { codeA = 1, codeB = 2, window = 1m, alertType = "A", priority = 2, extra = 1 } }
            ]
            """, "my-rules.conf");
        var errors = Compile([.. rules]).Errors;
        Assert.Equal(
            [
                "rule 'ab' (template 'fault-pair') at line 2, column 71: my-rules.conf: parameter 'codeB' must be an integer, got \"x\"",
                "rule 'cd' (template 'nope') at line 3, column 27: my-rules.conf: unknown template 'nope'",
                "rule 'ef' (template 'fault-pair') at line 4, column 124: my-rules.conf: unknown parameter 'extra' (declared: codeA, codeB, window, alertType, priority, delay)",
            ],
            errors.Select(e => e.ToString()));
    }

    [Fact]
    public void A_handlebars_file_left_in_the_templates_folder_must_be_refused_by_name_unless_a_scriban_one_replaced_it()
    {
        var dir = Directory.CreateTempSubdirectory("templates").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "templates", "fault-pair.sbn"), Path.Combine(dir, "fault-pair.sbn"));
            File.WriteAllText(Path.Combine(dir, "old.hbs"), "{{!--\n@param code integer\n--}}\nmatch count(Fault(ErrCode = {{code}})) >= 2 within 1m alert \"X\" priority 1\n");
            File.WriteAllText(Path.Combine(dir, "fault-pair.hbs"), "{{!-- replaced by fault-pair.sbn --}}\n");
            var ex = Assert.Throws<RuleSetException>(() => TemplateLibrary.LoadDirectory(dir));
            var error = Assert.Single(ex.Errors);
            Assert.Equal(("old", 1, 1), (error.Template, error.Line, error.Column));
            Assert.Contains("old.hbs: a Handlebars template", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void A_broken_template_must_refuse_a_reload_and_keep_the_set_and_templates_in_force()
    {
        var dir = Directory.CreateTempSubdirectory("templates").FullName;
        try
        {
            File.Copy(Path.Combine(AppContext.BaseDirectory, "templates", "fault-pair.sbn"), Path.Combine(dir, "fault-pair.sbn"));
            var registry = new RuleSetRegistry(Library, Schema);
            var rules = new[] { new RuleInstance("ab", "fault-pair", PairParams()) };
            Assert.True(registry.TryReload(dir, rules).Succeeded);
            var inForce = registry.Current;

            File.AppendAllText(Path.Combine(dir, "fault-pair.sbn"), "{{ if }}\n");
            var refused = registry.TryReload(dir, rules);
            Assert.False(refused.Succeeded);
            var error = Assert.Single(refused.Errors);
            Assert.Equal(("fault-pair", 15), (error.Template, error.Line));
            Assert.Contains("fault-pair.sbn: not a valid Scriban template", error.Message, StringComparison.Ordinal);
            Assert.Same(inForce, registry.Current);
            Assert.True(registry.TryUpdate(rules).Succeeded);
            Assert.Equal(inForce.Version + 1, registry.Current.Version);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
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
