namespace Alerting.Configuration.Tests;

public sealed class HoconSyntaxSpec
{
    private static readonly HoconParseOptions NoEnvironment = new() { EnvironmentVariables = _ => null };

    private static HoconObject Parse(string text) => HoconParser.Parse(text, "test.conf", NoEnvironment);

    [Fact]
    public void A_parser_must_read_nested_objects_and_dotted_paths_alike()
    {
        var config = Parse("""
            a.b.c = 1
            x { y { z = "deep" } }
            """);

        Assert.Equal(1, config.GetLong("a.b.c"));
        Assert.Equal("deep", config.GetString("x.y.z"));
        Assert.Equal(["a", "x"], config.Keys);
        Assert.Equal(["b"], config.GetObject("a").Keys);
    }

    [Fact]
    public void A_parser_must_accept_equals_colon_and_no_separator_before_an_object()
    {
        var config = Parse("""
            a = 1
            b : 2
            c { d = 3 }
            e = { f = 4 }
            g : { h = 5 }
            """);

        Assert.Equal(1, config.GetInt("a"));
        Assert.Equal(2, config.GetInt("b"));
        Assert.Equal(3, config.GetInt("c.d"));
        Assert.Equal(4, config.GetInt("e.f"));
        Assert.Equal(5, config.GetInt("g.h"));
    }

    [Fact]
    public void A_parser_must_accept_a_braced_root_and_comma_separated_fields()
    {
        var config = Parse("{ a = 1, b = 2, c = [1, 2,], }");

        Assert.Equal(1, config.GetInt("a"));
        Assert.Equal(2, config.GetInt("b"));
        Assert.Equal(2, config.GetArray("c").Count);
    }

    [Fact]
    public void A_parser_must_read_arrays_separated_by_commas_or_newlines()
    {
        var config = Parse("""
            list = [
              1
              two, "three"
              { id = four }
              [5]
            ]
            empty = []
            """);

        var list = config.GetArray("list");
        Assert.Equal(5, list.Count);
        Assert.Equal(1, list[0].AsLong());
        Assert.Equal("two", list[1].AsString());
        Assert.Equal("three", list[2].AsString());
        Assert.Equal("four", list[3].AsObject().GetString("id"));
        Assert.Equal(5, list[4].AsArray()[0].AsInt());
        Assert.Empty(config.GetArray("empty"));
    }

    [Fact]
    public void A_parser_must_skip_hash_and_double_slash_comments()
    {
        var config = Parse("""
            # a comment
            a = 1 # trailing
            // another comment
            b = 2 // trailing
            url = "http://example.com" // the slashes in quotes are text
            """);

        Assert.Equal(1, config.GetInt("a"));
        Assert.Equal(2, config.GetInt("b"));
        Assert.Equal("http://example.com", config.GetString("url"));
        Assert.Equal(3, config.Count);
    }

    [Fact]
    public void A_parser_must_decode_escapes_in_quoted_strings()
    {
        var config = Parse("""
            s = "tab\there \"quoted\" back\\slash \u00e9 line\nbreak"
            "quoted.key" = 1
            """);

        Assert.Equal("tab\there \"quoted\" back\\slash \u00e9 line\nbreak", config.GetString("s"));
        Assert.Equal(1, config.GetInt("\"quoted.key\""));
        Assert.Equal(["s", "quoted.key"], config.Keys);
    }

    [Fact]
    public void A_parser_must_keep_triple_quoted_strings_verbatim_across_lines()
    {
        var config = Parse("text = \"\"\"first \"line\"\n  second \\n line\"\"\"\nafter = 1");

        Assert.Equal("first \"line\"\n  second \\n line", config.GetString("text"));
        Assert.Equal(1, config.GetInt("after"));
    }

    [Fact]
    public void A_parser_must_concatenate_unquoted_and_quoted_words_with_their_inner_whitespace()
    {
        var config = Parse("""
            a = foo bar
            b = foo   "and"  bar   # the trailing blanks are dropped
            c = 1 2 3
            d = foo"bar"
            """);

        Assert.Equal("foo bar", config.GetString("a"));
        Assert.Equal("foo   and  bar", config.GetString("b"));
        Assert.Equal("1 2 3", config.GetString("c"));
        Assert.Equal(HoconScalarKind.String, config.Get("c").AsScalar().ScalarKind);
        Assert.Equal("foobar", config.GetString("d"));
    }

    [Fact]
    public void A_parser_must_classify_unquoted_numbers_booleans_and_null()
    {
        var config = Parse("""
            n = -12
            f = 1.5e3
            t = true
            no = null
            s = "42"
            w = 1m
            """);

        Assert.Equal(HoconScalarKind.Number, config.Get("n").AsScalar().ScalarKind);
        Assert.Equal(1500d, config.GetDouble("f"));
        Assert.True(config.GetBool("t"));
        Assert.True(config.Get("no").AsScalar().IsNull);
        Assert.Equal(HoconScalarKind.String, config.Get("s").AsScalar().ScalarKind);
        Assert.Equal(42, config.GetInt("s"));
        Assert.Equal(HoconScalarKind.String, config.Get("w").AsScalar().ScalarKind);
    }

    [Fact]
    public void A_parser_must_treat_include_as_an_ordinary_key_when_it_is_assigned()
    {
        var config = Parse("include = yes");

        Assert.True(config.GetBool("include"));
    }

    [Fact]
    public void A_parser_must_read_a_rule_file_as_the_rule_loader_writes_it()
    {
        var config = Parse("""
            rules = [ { id = "ab", template = "fault-pair", params { codeA = 101, window = 1m } } ]
            """);

        var rule = config.GetArray("rules")[0].AsObject();
        Assert.Equal("ab", rule.GetString("id"));
        Assert.Equal("fault-pair", rule.GetString("template"));
        Assert.Equal(101, rule.GetInt("params.codeA"));
        Assert.Equal(TimeSpan.FromMinutes(1), rule.GetDuration("params.window"));
        Assert.Equal(TimeSpan.FromMinutes(1), config.GetDuration("rules.0.params.window"));
        Assert.Equal("rules.0.params.window", rule.Get("params.window").Path);
    }
}
