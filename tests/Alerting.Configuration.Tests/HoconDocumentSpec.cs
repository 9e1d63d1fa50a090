namespace Alerting.Configuration.Tests;

/// <summary>What the project adds to Akka's HOCON: positions of errors and values, environment substitution, includes.</summary>
public sealed class HoconDocumentSpec
{
    private static readonly Dictionary<string, string> Env = new(StringComparer.Ordinal) { ["KAFKA_HOST"] = "broker:9092", ["QUOTE"] = "a \"b\" \\c" };

    private static HoconDocument Parse(string text, string name = "alerting.conf") =>
        HoconDocument.Parse(text, name, environment: n => Env.GetValueOrDefault(n));

    private static HoconException ParseError(string text) => Assert.Throws<HoconException>(() => Parse(text));

    [Theory]
    [InlineData("alerting {\n  kafka {\n    linger = 5ms\n  \n", 5, 1, "the object opened at line 2, column 9 is never closed")]
    [InlineData("a {\n  b = [1, 2\n}", 3, 1, "unexpected '}' in the array opened at line 2, column 7")]
    [InlineData("a = [1, 2\n", 2, 1, "the array opened at line 1, column 5 is never closed")]
    [InlineData("a = 1\n  name = \"open\nb = 2", 2, 10, "not closed on its line")]
    [InlineData("a {\n  b = 1 = 2\n}", 2, 9, "unexpected '=' after the value of 'a.b'")]
    [InlineData("a =\n}", 1, 4, "'a' has no value")]
    [InlineData("a = 1\nkafka linger 5ms\n", 2, 7, "expected '=', ':' or '{' after the key 'kafka'")]
    [InlineData("a = [1]\na += 2", 2, 3, "'+=' is not supported")]
    [InlineData("a = ${NOT_SET_ANYWHERE}", 1, 5, "neither a setting of this file nor an environment variable")]
    [InlineData("a { b = 1 } }", 1, 13, "unexpected '}'")]
    public void A_syntax_error_must_name_the_file_line_and_column(string text, int line, int column, string detail)
    {
        var error = ParseError(text);

        Assert.Equal(new HoconPosition("alerting.conf", line, column), error.Position);
        Assert.Contains(detail, error.Detail, StringComparison.Ordinal);
        Assert.StartsWith($"alerting.conf:{line}:{column}: ", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Optional_substitutions_must_take_the_environment_or_leave_the_field_unset()
    {
        var config = Parse("""
            kafka { bootstrap-servers = localhost, client-id = x }
            kafka { bootstrap-servers = ${?KAFKA_HOST}, client-id = ${?NOT_SET} }
            odd = ${?QUOTE}
            topics { events = e, copy = ${topics.events}, later = ${?topics.events} }
            joined = prefix-${?NOT_SET}
            """).Config;

        Assert.Equal("broker:9092", config.GetString("kafka.bootstrap-servers"));
        Assert.Equal("x", config.GetString("kafka.client-id"));
        Assert.Equal("a \"b\" \\c", config.GetString("odd"));
        Assert.Equal("e", config.GetString("topics.copy"));
        Assert.Equal("e", config.GetString("topics.later"));
        Assert.Equal("prefix-", config.GetString("joined"));
    }

    [Fact]
    public void Text_that_akka_mishandles_must_keep_its_hocon_meaning()
    {
        var config = Parse("""
            a = x // a comment after a value
            b = "y" // another
            rule { params { p = 1 }, enabled = false }
            """).Config;

        Assert.Equal("x", config.GetString("a"));
        Assert.Equal("y", config.GetString("b"));
        Assert.Equal(1, config.GetInt("rule.params.p"));
        Assert.False(config.GetBoolean("rule.enabled"));
    }

    [Fact]
    public void Values_must_keep_their_position_and_whether_they_were_quoted()
    {
        var document = Parse("""
            rules = [
              { id = "ab", params { code = 5, name = "5" } }
              { id = x, list = [1, "two"] }
            ]
            """, "r.conf");

        Assert.Equal(new HoconPosition("r.conf", 2, 3), document.PositionOf("rules.0"));
        Assert.Equal(new HoconPosition("r.conf", 2, 32), document.PositionOf("rules.0.params.code"));
        Assert.True(document.IsQuoted("rules.0.params.name"));
        Assert.False(document.IsQuoted("rules.0.params.code"));
        Assert.Equal(new HoconPosition("r.conf", 3, 24), document.PositionOf("rules.1.list.1"));
        Assert.True(document.IsQuoted("rules.1.list.1"));
    }

    [Fact]
    public void An_include_must_be_read_relative_to_the_including_file()
    {
        using var dir = new TempDirectory();
        dir.Write("conf/kafka.conf", "linger = 5ms\nhost = ${?KAFKA_HOST}\ncopy = ${linger}");
        var main = dir.Write("conf/main.conf", "alerting {\n  kafka { include \"kafka.conf\" }\n}\nalerting.kafka.linger = 10ms");

        var config = HoconDocument.Load(main, n => Env.GetValueOrDefault(n)).Config;

        Assert.Equal("10ms", config.GetString("alerting.kafka.linger"));
        Assert.Equal("broker:9092", config.GetString("alerting.kafka.host"));
        Assert.Equal("10ms", config.GetString("alerting.kafka.copy")); // a substitution sees the value its path ends with
        Assert.Throws<HoconException>(() => HoconDocument.Parse("include \"missing.conf\"", "m.conf", dir.Path));
        Assert.Throws<FileNotFoundException>(() => HoconDocument.Load(Path.Combine(dir.Path, "nope.conf")));
    }

    [Fact]
    public void An_error_in_an_included_file_must_name_that_file()
    {
        using var dir = new TempDirectory();
        dir.Write("bad.conf", "x {\n  y = [1\n");
        var main = dir.Write("main.conf", "include \"bad.conf\"");

        var error = Assert.Throws<HoconException>(() => HoconDocument.Load(main));

        Assert.EndsWith("bad.conf", error.File, StringComparison.Ordinal);
        Assert.Equal(3, error.Line);
    }
}
