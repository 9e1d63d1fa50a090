using Akka.Configuration;

namespace Alerting.Configuration.Tests;

/// <summary>Typed reads of settings: defaults, durations, and errors that name the setting's path.</summary>
public sealed class ConfigValuesSpec
{
    private static readonly Config Config = HoconDocument.Parse("""
        alerting {
          kafka { linger = 5ms, session = "2 hours", bare = 250, bad = soon, empty = "", props { security.protocol = SASL_SSL, "sasl.mechanism" = SCRAM-SHA-512 } }
          alert { batch-size = 2000, share = 0.25, huge = 99999999999, eager = off, quick = yes, maybe = sometimes }
          applications = [alert, dispatch]
          object { a = 1 }
        }
        """, "t.conf", environment: _ => null).Config;

    [Fact]
    public void Present_values_must_be_read_and_absent_or_blank_ones_must_give_the_default()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(5), Config.ReadDuration("alerting.kafka.linger", TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromHours(2), Config.ReadDuration("alerting.kafka.session", TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromMilliseconds(250), Config.ReadDuration("alerting.kafka.bare", TimeSpan.Zero));
        Assert.Equal(TimeSpan.FromSeconds(3), Config.ReadDuration("alerting.kafka.missing", TimeSpan.FromSeconds(3)));
        Assert.Equal("d", Config.ReadString("alerting.kafka.empty", "d"));
        Assert.Equal(2000, Config.ReadInt("alerting.alert.batch-size", 1, 1, 10_000));
        Assert.Equal(0.25, Config.ReadDouble("alerting.alert.share", 0));
        Assert.False(Config.ReadBool("alerting.alert.eager", true));
        Assert.True(Config.ReadBool("alerting.alert.quick", false));
        Assert.True(Config.ReadBool("alerting.alert.missing", true));
        Assert.Equal(["alert", "dispatch"], Config.ReadStringList("alerting.applications"));
        Assert.Equal(["a"], Config.ReadKeys("alerting.object"));
        Assert.Equal(
            new Dictionary<string, string> { ["security.protocol"] = "SASL_SSL", ["sasl.mechanism"] = "SCRAM-SHA-512" },
            Config.ReadFlatObject("alerting.kafka.props"));
    }

    [Theory]
    [InlineData("duration", "alerting.kafka.bad", "alerting.kafka.bad = \"soon\" is not a duration (e.g. 5s, 100ms)")]
    [InlineData("range", "alerting.alert.batch-size", "alerting.alert.batch-size = \"2000\" is not an integer between 1 and 100")]
    [InlineData("overflow", "alerting.alert.huge", "alerting.alert.huge = \"99999999999\" is not an integer")]
    [InlineData("required", "alerting.kafka.missing", "alerting.kafka.missing is missing: expected a non-empty string")]
    [InlineData("bool", "alerting.alert.maybe", "alerting.alert.maybe = \"sometimes\" is not on or off (true/false, yes/no)")]
    [InlineData("object", "alerting.object", "alerting.object = ")]
    public void An_invalid_or_missing_value_must_name_its_path(string kind, string path, string message)
    {
        var ex = Assert.Throws<ConfigurationValueException>(() => _ = kind switch
        {
            "duration" => Config.ReadDuration(path, TimeSpan.Zero),
            "range" => Config.ReadInt(path, 1, 1, 100),
            "overflow" => Config.ReadInt(path, 1),
            "required" => (object)Config.ReadRequiredString(path),
            "bool" => Config.ReadBool(path, false),
            _ => Config.ReadString(path, ""),
        });

        Assert.Equal(path, ex.Key);
        Assert.StartsWith(message, ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("5s", 5000)]
    [InlineData("100ms", 100)]
    [InlineData("1.5m", 90_000)]
    [InlineData("2 days", 172_800_000)]
    [InlineData("500us", 0.5)]
    [InlineData("250", 250)]
    public void A_duration_must_parse_hocon_units_and_a_bare_number_as_milliseconds(string text, double ms)
    {
        Assert.True(HoconDuration.TryParse(text, out var value));
        Assert.Equal(TimeSpan.FromMilliseconds(ms), value);
    }

    [Theory]
    [InlineData("")]
    [InlineData("s")]
    [InlineData("5 fortnights")]
    [InlineData("1e9d")]
    [InlineData("99999999999 days")]
    public void A_malformed_duration_must_be_refused(string text)
    {
        Assert.False(HoconDuration.TryParse(text, out _));
    }
}
