namespace Alerting.Configuration.Tests;

public sealed class HoconSubstitutionSpec
{
    private static HoconObject Parse(string text, IReadOnlyDictionary<string, string>? environment = null) =>
        HoconParser.Parse(text, "subst.conf", new HoconParseOptions
        {
            EnvironmentVariables = name => environment is not null && environment.TryGetValue(name, out var v) ? v : null,
        });

    [Fact]
    public void A_substitution_must_copy_the_value_at_a_path_including_forward_references()
    {
        var config = Parse("""
            a = ${b.c}
            b.c = 42
            d = ${b}
            s = "http://"${host}":"${port}/path
            host = example.com
            port = 8080
            """);

        Assert.Equal(42, config.GetInt("a"));
        Assert.Equal(HoconScalarKind.Number, config.Get("a").AsScalar().ScalarKind);
        Assert.Equal(42, config.GetInt("d.c"));
        Assert.Equal("http://example.com:8080/path", config.GetString("s"));
    }

    [Fact]
    public void A_substituted_value_must_keep_the_position_where_it_was_written()
    {
        var config = Parse("a = ${b}\nb = 42");

        Assert.Equal(new HoconPosition("subst.conf", 2, 5), config.Get("a").Position);
        Assert.Equal("a", config.Get("a").Path);
    }

    [Fact]
    public void An_unset_optional_substitution_must_disappear()
    {
        var config = Parse("""
            a = ${?missing}
            b = [1, ${?missing}, 2]
            c = foo ${?missing} bar
            """);

        Assert.False(config.HasPath("a"));
        Assert.Equal([1L, 2L], config.GetArray("b").Select(v => v.AsLong()));
        Assert.Equal("foo bar", config.GetString("c"));
    }

    [Fact]
    public void An_unset_optional_substitution_must_keep_the_earlier_value()
    {
        var config = Parse("""
            port = 8080
            port = ${?ALERTING_PORT}
            host = localhost
            host = ${?ALERTING_HOST}
            """, new Dictionary<string, string> { ["ALERTING_HOST"] = "db.internal" });

        Assert.Equal(8080, config.GetInt("port"));
        Assert.Equal("db.internal", config.GetString("host"));
    }

    [Fact]
    public void A_substitution_must_fall_back_to_the_environment_variable_of_the_same_name()
    {
        var config = Parse("""
            home = ${HOME_DIR}
            user = ${?USER_NAME}
            local = ${where}
            where = here
            """, new Dictionary<string, string> { ["HOME_DIR"] = "/home/a", ["USER_NAME"] = "ops", ["where"] = "env" });

        Assert.Equal("/home/a", config.GetString("home"));
        Assert.Equal("ops", config.GetString("user"));
        Assert.Equal("here", config.GetString("local"));
    }

    [Fact]
    public void A_substitution_must_read_the_real_process_environment_by_default()
    {
        var name = "HOCON_TEST_" + Guid.NewGuid().ToString("N");
        Environment.SetEnvironmentVariable(name, "from-process");
        try
        {
            var config = HoconParser.Parse($"a = 1\na = ${{?{name}}}\nb = ${{?{name}_UNSET}}");

            Assert.Equal("from-process", config.GetString("a"));
            Assert.False(config.HasPath("b"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(name, null);
        }
    }

    [Fact]
    public void A_self_reference_must_see_the_earlier_value_of_the_path()
    {
        var config = Parse("""
            path = [a, b]
            path = ${path} [c]
            name = base
            name = ${name}-suffix
            obj { x = 1 }
            obj = ${obj} { y = 2 }
            nested { list = [1] }
            nested { list = ${nested.list} [2] }
            """);

        Assert.Equal(["a", "b", "c"], config.GetArray("path").Select(v => v.AsString()));
        Assert.Equal("base-suffix", config.GetString("name"));
        Assert.Equal(1, config.GetInt("obj.x"));
        Assert.Equal(2, config.GetInt("obj.y"));
        Assert.Equal([1L, 2L], config.GetArray("nested.list").Select(v => v.AsLong()));
    }

    [Fact]
    public void An_optional_self_reference_without_an_earlier_value_must_disappear()
    {
        var config = Parse("list = ${?list} [1]");

        Assert.Equal([1L], config.GetArray("list").Select(v => v.AsLong()));
    }

    [Fact]
    public void Plus_equals_must_append_to_an_array_or_start_one()
    {
        var config = Parse("""
            topics = [a]
            topics += b
            topics += [c, d]
            fresh += 1
            fresh += 2
            """);

        Assert.Equal(["a", "b", "[c, d]"], config.GetArray("topics").Select(v => v.Kind == HoconValueKind.Array ? "[c, d]" : v.AsString()));
        Assert.Equal([1L, 2L], config.GetArray("fresh").Select(v => v.AsLong()));
    }

    [Fact]
    public void A_later_reference_must_see_the_final_value_after_self_references()
    {
        var config = Parse("""
            list = [1]
            copy = ${list}
            list = ${list} [2]
            """);

        Assert.Equal([1L, 2L], config.GetArray("copy").Select(v => v.AsLong()));
    }

    [Fact]
    public void An_unresolvable_substitution_must_be_an_error_at_its_position()
    {
        var error = Assert.Throws<HoconParseException>(() => Parse("a = 1\nb = x ${nope.here}"));

        Assert.Equal(new HoconPosition("subst.conf", 2, 7), error.Position);
        Assert.Contains("could not resolve substitution ${nope.here}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_substitution_cycle_must_be_an_error()
    {
        var error = Assert.Throws<HoconParseException>(() => Parse("a = ${b}\nb = ${c}\nc = ${a}"));

        Assert.Contains("cycle", error.Message, StringComparison.Ordinal);
        Assert.Equal("subst.conf", error.File);
    }

    [Fact]
    public void Concatenating_an_object_with_a_string_must_be_an_error_at_the_odd_piece()
    {
        var error = Assert.Throws<HoconParseException>(() => Parse("o { x = 1 }\na = ${o} text"));

        Assert.Equal(new HoconPosition("subst.conf", 2, 10), error.Position);
        Assert.Contains("cannot concatenate an object with a string", error.Message, StringComparison.Ordinal);
    }
}
