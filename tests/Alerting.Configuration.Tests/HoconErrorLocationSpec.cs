namespace Alerting.Configuration.Tests;

public sealed class HoconErrorLocationSpec
{
    private static HoconParseException ParseError(string text) =>
        Assert.Throws<HoconParseException>(() => HoconParser.Parse(text, "alerting.conf", new HoconParseOptions { EnvironmentVariables = _ => null }));

    [Fact]
    public void An_unclosed_object_must_be_reported_at_the_end_with_where_it_was_opened()
    {
        var error = ParseError("alerting {\n  kafka {\n    linger = 5ms\n  \n");

        Assert.Equal(("alerting.conf", 5, 1), (error.File, error.Line, error.Column));
        Assert.Equal("alerting.conf:5:1: expected '}' to close the object opened at line 2, column 9, but found end of file", error.Message);
    }

    [Fact]
    public void A_missing_separator_must_be_reported_at_the_token_after_the_key()
    {
        var error = ParseError("a = 1\nkafka linger 5ms\n");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 17), error.Position);
        Assert.Contains("expected ':', '=' or '{' after the key '\"kafka linger 5ms\"', but found a new line", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_second_value_on_a_line_must_be_reported_where_it_starts()
    {
        var error = ParseError("a {\n  b = 1 = 2\n}");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 9), error.Position);
        Assert.Equal("expected ',' or a new line after the value, but found '='", error.Detail);
    }

    [Fact]
    public void An_unterminated_string_must_be_reported_at_its_opening_quote()
    {
        var error = ParseError("a = 1\n  name = \"open\nb = 2");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 10), error.Position);
        Assert.Contains("unterminated string", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_invalid_escape_must_be_reported_at_the_backslash()
    {
        var error = ParseError("s = \"ab\\qc\"");

        Assert.Equal(new HoconPosition("alerting.conf", 1, 8), error.Position);
        Assert.Contains("invalid escape '\\q'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_value_must_be_reported_at_what_follows_the_separator()
    {
        var error = ParseError("a =\n\n   }");

        Assert.Equal(new HoconPosition("alerting.conf", 3, 4), error.Position);
        Assert.Equal("expected a value, but found '}'", error.Detail);
    }

    [Fact]
    public void An_unclosed_array_must_be_reported_with_where_it_was_opened()
    {
        var error = ParseError("list = [1, 2\nnext = 3");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 6), error.Position);
        Assert.Contains("expected ',' or ']' after an array item, but found '='", error.Message, StringComparison.Ordinal);

        var atEnd = ParseError("list = [1, 2,\n");
        Assert.Equal(new HoconPosition("alerting.conf", 2, 1), atEnd.Position);
        Assert.Contains("expected ']' to close the array opened at line 1, column 8", atEnd.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_forbidden_character_must_be_reported_where_it_is()
    {
        var error = ParseError("a = 1\nb = x@y");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 6), error.Position);
        Assert.Contains("unexpected character '@'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_stray_closing_brace_and_a_double_comma_must_be_reported_where_they_are()
    {
        var brace = ParseError("a = 1\n}\n");
        Assert.Equal(new HoconPosition("alerting.conf", 2, 1), brace.Position);

        var comma = ParseError("a = 1,, b = 2");
        Assert.Equal(new HoconPosition("alerting.conf", 1, 7), comma.Position);
        Assert.Contains("expected a key, but found ','", comma.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Bad_keys_and_substitutions_must_be_reported_where_they_start()
    {
        var key = ParseError("ok = 1\n  a..b = 1");
        Assert.Equal(new HoconPosition("alerting.conf", 2, 3), key.Position);
        Assert.Contains("empty path element", key.Message, StringComparison.Ordinal);

        var subst = ParseError("a = ${b.c\n");
        Assert.Equal(new HoconPosition("alerting.conf", 1, 5), subst.Position);
        Assert.Contains("unterminated substitution", subst.Message, StringComparison.Ordinal);

        var dollar = ParseError("price = $5");
        Assert.Equal(new HoconPosition("alerting.conf", 1, 9), dollar.Position);
    }

    [Fact]
    public void A_root_array_must_be_rejected()
    {
        var error = ParseError("\n [1, 2]");

        Assert.Equal(new HoconPosition("alerting.conf", 2, 2), error.Position);
    }
}
