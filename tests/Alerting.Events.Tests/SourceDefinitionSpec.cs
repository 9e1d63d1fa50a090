using Akka.Configuration;
using Alerting.Configuration;

namespace Alerting.Events.Tests;

public sealed class SourceDefinitionSpec
{
    /// <summary>HOCON with one <c>path = "value"</c> line per pair; a <c>[</c> value is an array.</summary>
    private static Config Config(params (string Path, string Value)[] pairs) => HoconDocument.Parse(
        string.Join('\n', pairs.Select(p => $"{p.Path} = {(p.Value.StartsWith('[') ? p.Value : "\"" + p.Value + "\"")}")),
        "test.conf",
        environment: _ => null).Config;

    [Fact]
    public void A_source_definition_must_default_to_the_seed_shape_when_nothing_is_configured()
    {
        var sources = SourceDefinition.CreateAll(Config());
        var d = Assert.Single(sources);
        Assert.Equal("device-events", d.Topic);
        Assert.Equal("DeviceNumber", d.DeviceKeyPath);
        Assert.Equal("Param.Timestamp", d.EventTimePath);
        Assert.Equal(TimestampFormat.Auto, d.EventTimeFormat);
        Assert.Equal("Message", d.KindPath);
        Assert.Equal("Param.ID", d.IdPath);
        Assert.Equal(new FieldDefinition("ErrCode", "Param.ErrCode", FieldType.Integer), Assert.Single(d.Fields));
        Assert.Equal(TimeSpan.FromSeconds(5), d.MaxOutOfOrderness);
        Assert.Equal(TimeSpan.Zero, d.AllowedLateness);
        Assert.Equal(TimeSpan.FromMinutes(5), d.MaxFutureSkew);
        Assert.Equal(TimeSpan.FromSeconds(30), d.IdleTimeout);
        Assert.Equal(65536, d.MaxRecordBytes);
        Assert.Equal(16, d.MaxDepth);
    }

    [Fact]
    public void A_source_definition_must_bind_every_key_of_its_section()
    {
        var config = Config(
            ("alerting.sources.robots.topic", "robot-events"),
            ("alerting.sources.robots.device-key", "Robot.Serial"),
            ("alerting.sources.robots.event-time.path", "At"),
            ("alerting.sources.robots.event-time.format", "epoch-ms"),
            ("alerting.sources.robots.kind", "Type"),
            ("alerting.sources.robots.id", ""),
            ("alerting.sources.robots.kinds", "[Fault, Run]"),
            ("alerting.sources.robots.fields.ErrCode.path", "Code"),
            ("alerting.sources.robots.fields.ErrCode.type", "integer"),
            ("alerting.sources.robots.fields.Temp.path", "Sensors.Temp"),
            ("alerting.sources.robots.fields.Temp.type", "number"),
            ("alerting.sources.robots.max-out-of-orderness", "100ms"),
            ("alerting.sources.robots.allowed-lateness", "2 seconds"),
            ("alerting.sources.robots.max-future-skew", "1m"),
            ("alerting.sources.robots.idle-timeout", "0s"),
            ("alerting.sources.robots.max-record-bytes", "1024"),
            ("alerting.sources.robots.max-depth", "4"),
            ("alerting.sources.devices.topic", "device-events"));
        var sources = SourceDefinition.CreateAll(config);
        Assert.Equal(["devices", "robots"], sources.Select(s => s.Name).Order(StringComparer.Ordinal));
        var r = sources.Single(s => s.Name == "robots");
        Assert.Equal("robot-events", r.Topic);
        Assert.Equal("Robot.Serial", r.DeviceKeyPath);
        Assert.Equal("At", r.EventTimePath);
        Assert.Equal(TimestampFormat.EpochMs, r.EventTimeFormat);
        Assert.Equal("Type", r.KindPath);
        Assert.Null(r.IdPath);
        Assert.Equal(["Fault", "Run"], r.Kinds);
        Assert.Equal(
            [new FieldDefinition("ErrCode", "Code", FieldType.Integer), new FieldDefinition("Temp", "Sensors.Temp", FieldType.Number)],
            r.Fields);
        Assert.Equal(TimeSpan.FromMilliseconds(100), r.MaxOutOfOrderness);
        Assert.Equal(TimeSpan.FromSeconds(2), r.AllowedLateness);
        Assert.Equal(TimeSpan.FromMinutes(1), r.MaxFutureSkew);
        Assert.Equal(TimeSpan.Zero, r.IdleTimeout);
        Assert.Equal(1024, r.MaxRecordBytes);
        Assert.Equal(4, r.MaxDepth);
        Assert.Equal(["ErrCode", "Temp"], SourceDefinition.SharedSchema(sources).Fields.Select(f => f.Name));
    }

    [Fact]
    public void A_source_definition_must_accept_the_event_time_as_a_plain_path()
    {
        var d = SourceDefinition.Create(Config(("alerting.sources.d.event-time", "When")), "alerting.sources.d");
        Assert.Equal("When", d.EventTimePath);
    }

    [Theory]
    [InlineData("max-out-of-orderness", "5 parsecs")]
    [InlineData("allowed-lateness", "soon")]
    [InlineData("max-future-skew", "0s")]
    [InlineData("idle-timeout", "")]
    [InlineData("max-record-bytes", "64k")]
    [InlineData("max-record-bytes", "0")]
    [InlineData("max-depth", "0")]
    [InlineData("max-depth", "1")]
    [InlineData("event-time.format", "rfc2822")]
    [InlineData("event-time.path", "Param..Timestamp")]
    [InlineData("device-key", "Devices[0]")]
    [InlineData("topic", " ")]
    [InlineData("fields.ErrCode.type", "decimal")]
    [InlineData("fields.ErrCode.path", "$x")]
    public void A_source_definition_must_reject_an_invalid_value_naming_its_key(string key, string value)
    {
        var pairs = new List<(string, string)> { ("alerting.sources.devices." + key, value) };
        if (key == "fields.ErrCode.path")
        {
            pairs.Add(("alerting.sources.devices.fields.ErrCode.type", "integer"));
        }

        var ex = Assert.Throws<SourceConfigurationException>(() => SourceDefinition.CreateAll(Config([.. pairs])));
        Assert.Equal("alerting.sources.devices." + key, ex.Key);
        Assert.StartsWith("alerting.sources.devices." + key + ": ", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_source_definition_must_reject_a_field_without_type_and_two_sources_on_one_topic()
    {
        var noType = Assert.Throws<SourceConfigurationException>(() => SourceDefinition.CreateAll(Config(("alerting.sources.d.fields.X.path", "P.X"))));
        Assert.Equal("alerting.sources.d.fields.X.type", noType.Key);

        var twice = Assert.Throws<SourceConfigurationException>(() => SourceDefinition.CreateAll(Config(
            ("alerting.sources.a.topic", "same"), ("alerting.sources.b.topic", "same"))));
        Assert.Equal("alerting.sources.b.topic", twice.Key);

        var conflict = Assert.Throws<SourceConfigurationException>(() => SourceDefinition.CreateAll(Config(
            ("alerting.sources.a.topic", "a"),
            ("alerting.sources.b.topic", "b"),
            ("alerting.sources.b.fields.ErrCode.type", "string"))));
        Assert.Contains("ErrCode", conflict.Key, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("100ms", 100)]
    [InlineData("1m", 60_000)]
    [InlineData("1.5 h", 5_400_000)]
    [InlineData("2 days", 172_800_000)]
    [InlineData("250", 250)]
    [InlineData("500us", 0.5)]
    public void A_duration_must_parse_hocon_style_units(string text, double ms)
    {
        Assert.True(Durations.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("-5s")]
    [InlineData("5 fortnights")]
    [InlineData("1e9d")]
    public void A_duration_must_reject_malformed_text(string text)
    {
        Assert.False(Durations.TryParse(text, out _));
    }
}
