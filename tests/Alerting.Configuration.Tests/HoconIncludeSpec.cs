namespace Alerting.Configuration.Tests;

public sealed class HoconIncludeSpec : IDisposable
{
    private static readonly HoconParseOptions NoEnvironment = new() { EnvironmentVariables = _ => null };
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void An_include_must_merge_the_included_file_where_it_is_written()
    {
        _dir.Write("reference.conf", "alerting { kafka { linger = 5ms, acks = all } }");
        var main = _dir.Write("alerting.conf", """
            include "reference.conf"
            alerting.kafka.linger = 20ms
            """);

        var config = HoconParser.ParseFile(main, NoEnvironment);

        Assert.Equal(TimeSpan.FromMilliseconds(20), config.GetDuration("alerting.kafka.linger"));
        Assert.Equal("all", config.GetString("alerting.kafka.acks"));
        Assert.EndsWith("reference.conf", config.Get("alerting.kafka.acks").Position.File, StringComparison.Ordinal);
        Assert.Equal(1, config.Get("alerting.kafka.acks").Position.Line);
    }

    [Fact]
    public void An_include_must_be_resolved_relative_to_the_including_file()
    {
        _dir.Write("conf/sub/leaf.conf", "leaf = true");
        _dir.Write("conf/middle.conf", "include file(\"sub/leaf.conf\")\nmiddle = 1");
        var main = _dir.Write("conf/main.conf", "include required(file(\"middle.conf\"))\nmain = 2");

        var config = HoconParser.ParseFile(main, NoEnvironment);

        Assert.True(config.GetBool("leaf"));
        Assert.Equal(1, config.GetInt("middle"));
        Assert.Equal(2, config.GetInt("main"));
        Assert.Equal(Path.Combine(_dir.Path, "conf", "sub", "leaf.conf"), config.Get("leaf").Position.File);
    }

    [Fact]
    public void An_include_inside_an_object_must_nest_the_included_keys_and_resolve_its_substitutions_there()
    {
        _dir.Write("kafka.conf", "brokers = \"b:9092\"\nbootstrap = ${brokers}\ntopic = ${topic-prefix}-events");
        var main = _dir.Write("main.conf", """
            topic-prefix = plant1
            kafka {
              include "kafka.conf"
            }
            """);

        var config = HoconParser.ParseFile(main, NoEnvironment);

        Assert.Equal("b:9092", config.GetString("kafka.bootstrap"));
        Assert.Equal("plant1-events", config.GetString("kafka.topic"));
        Assert.False(config.HasPath("brokers"));
    }

    [Fact]
    public void A_later_setting_must_override_an_included_one_and_an_earlier_setting_must_be_overridden_by_it()
    {
        _dir.Write("inc.conf", "a = from-include\nb = from-include");
        var main = _dir.Write("main.conf", "a = before\ninclude \"inc.conf\"\nb = after");

        var config = HoconParser.ParseFile(main, NoEnvironment);

        Assert.Equal("from-include", config.GetString("a"));
        Assert.Equal("after", config.GetString("b"));
    }

    [Fact]
    public void A_missing_include_must_be_an_error_naming_the_file_line_and_column()
    {
        var main = _dir.Write("main.conf", "a = 1\n  include \"nope.conf\"\n");

        var error = Assert.Throws<HoconParseException>(() => HoconParser.ParseFile(main, NoEnvironment));

        Assert.Equal(main, error.File);
        Assert.Equal(2, error.Line);
        Assert.Equal(11, error.Column);
        Assert.Contains("included file \"nope.conf\" not found", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_syntax_error_in_an_included_file_must_name_the_included_file()
    {
        _dir.Write("bad.conf", "x {\n  y = 1\n");
        var main = _dir.Write("main.conf", "include \"bad.conf\"");

        var error = Assert.Throws<HoconParseException>(() => HoconParser.ParseFile(main, NoEnvironment));

        Assert.Equal(Path.Combine(_dir.Path, "bad.conf"), error.File);
        Assert.Equal(3, error.Line);
        Assert.Equal(1, error.Column);
        Assert.Contains("expected '}' to close the object opened at line 1, column 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_include_cycle_must_be_an_error()
    {
        _dir.Write("a.conf", "include \"b.conf\"");
        _dir.Write("b.conf", "include \"a.conf\"");

        var error = Assert.Throws<HoconParseException>(() => HoconParser.ParseFile(Path.Combine(_dir.Path, "a.conf"), NoEnvironment));

        Assert.Contains("include cycle", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_include_in_a_parsed_string_must_be_read_from_the_base_directory()
    {
        _dir.Write("defaults.conf", "d = 4");

        var config = HoconParser.Parse("include \"defaults.conf\"", "inline", NoEnvironment with { BaseDirectory = _dir.Path });

        Assert.Equal(4, config.GetInt("d"));
    }

    [Fact]
    public void An_unsupported_include_form_must_be_an_error()
    {
        var error = Assert.Throws<HoconParseException>(() => HoconParser.Parse("include url(\"http://x/y.conf\")", "inline", NoEnvironment));

        Assert.Equal(new HoconPosition("inline", 1, 1), error.Position);
        Assert.Contains("only file includes are supported", error.Message, StringComparison.Ordinal);
    }
}
