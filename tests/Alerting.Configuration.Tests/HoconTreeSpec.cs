namespace Alerting.Configuration.Tests;

public sealed class HoconTreeSpec
{
    private const string Rules = """
        # rule set
        rules = [
          { id = "ab", template = "fault-pair", params { codeA = 101, window = soon } }
          { id = cd, template = seq, params { limit = 512k } }
        ]
        """;

    private static HoconObject Parse(string text) =>
        HoconParser.Parse(text, "rules.conf", new HoconParseOptions { EnvironmentVariables = _ => null });

    [Fact]
    public void A_tree_must_carry_the_file_line_and_column_of_every_value()
    {
        var config = Parse(Rules);

        var rules = config.GetArray("rules");
        Assert.Equal(new HoconPosition("rules.conf", 2, 9), rules.Position);
        Assert.Equal(new HoconPosition("rules.conf", 3, 3), rules[0].Position);
        Assert.Equal(new HoconPosition("rules.conf", 3, 10), rules[0].AsObject().Get("id").Position);
        Assert.Equal(new HoconPosition("rules.conf", 3, 72), rules[0].AsObject().Get("params.window").Position);
        Assert.Equal(new HoconPosition("rules.conf", 4, 47), config.Get("rules.1.params.limit").Position);
        Assert.Equal("rules.conf:4:47", config.Get("rules.1.params.limit").Position.ToString());
    }

    [Fact]
    public void A_tree_must_carry_the_position_of_each_key()
    {
        var config = Parse(Rules);

        Assert.True(config.TryGetMember("rules", out var field));
        Assert.Equal(new HoconPosition("rules.conf", 2, 1), field.KeyPosition);
        Assert.True(config.GetArray("rules")[1].AsObject().TryGetMember("template", out var template));
        Assert.Equal(new HoconPosition("rules.conf", 4, 14), template.KeyPosition);
    }

    [Fact]
    public void A_typed_accessor_must_report_the_path_value_and_position_of_a_bad_value()
    {
        var config = Parse(Rules);

        var error = Assert.Throws<HoconValueException>(() => config.GetDuration("rules.0.params.window"));

        Assert.Equal("rules.conf", error.File);
        Assert.Equal(3, error.Line);
        Assert.Equal(72, error.Column);
        Assert.Equal("rules.0.params.window", error.Path);
        Assert.Equal("rules.conf:3:72: rules.0.params.window = \"soon\" is not a duration (e.g. 5s, 100ms)", error.Message);
    }

    [Fact]
    public void A_typed_accessor_must_report_a_kind_mismatch_at_the_value()
    {
        var config = Parse(Rules);

        var error = Assert.Throws<HoconValueException>(() => config.GetString("rules.1.params"));

        Assert.Equal(4, error.Line);
        Assert.Equal(37, error.Column);
        Assert.Contains("rules.1.params is an object, expected a scalar value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_required_path_must_be_reported_missing_at_the_deepest_object_found()
    {
        var config = Parse(Rules);

        var error = Assert.Throws<HoconValueException>(() => config.GetString("rules.1.params.codeA"));

        Assert.Equal(new HoconPosition("rules.conf", 4, 37), error.Position);
        Assert.Equal("rules.conf:4:37: missing required key 'rules.1.params.codeA'", error.Message);
    }

    [Fact]
    public void A_getter_with_a_default_must_use_it_only_when_the_path_is_missing()
    {
        var config = Parse(Rules);
        var second = config.GetArray("rules")[1].AsObject();

        Assert.Equal(524288, second.GetSize("params.limit", 1));
        Assert.Equal(7, second.GetLong("params.codeA", 7));
        Assert.Equal(TimeSpan.FromSeconds(3), second.GetDuration("params.window", TimeSpan.FromSeconds(3)));
        Assert.Equal("x", config.GetString("nothing.here", "x"));
        Assert.Throws<HoconValueException>(() => second.GetLong("id", 7));
    }

    [Fact]
    public void A_value_error_built_by_a_consumer_must_carry_the_value_position()
    {
        var config = Parse(Rules);
        var code = config.Get("rules.0.params.codeA");

        var error = code.Error("code 101 is not in the fault table");

        Assert.Equal("rules.conf:3:58: code 101 is not in the fault table", error.Message);
        Assert.Equal("rules.0.params.codeA", error.Path);
    }

    [Fact]
    public void A_tree_must_enumerate_members_and_items_in_written_order()
    {
        var config = Parse("z = 1\na = 2\nm { q = 1, b = 2 }\nz = 3\nlist = [c, a, b]");

        Assert.Equal(["z", "a", "m", "list"], config.Fields.Select(f => f.Key));
        Assert.Equal(["q", "b"], config.GetObject("m").Keys);
        Assert.Equal(["c", "a", "b"], config.GetArray("list").Select(v => v.AsString()));
        Assert.Equal(3, config.GetInt("z"));
    }

    [Fact]
    public void A_int_accessor_must_reject_a_number_too_large_for_32_bits()
    {
        var config = Parse("big = 3000000000");

        Assert.Equal(3000000000L, config.GetLong("big"));
        var error = Assert.Throws<HoconValueException>(() => config.GetInt("big"));
        Assert.Contains("is not a 32-bit integer", error.Message, StringComparison.Ordinal);
    }
}
