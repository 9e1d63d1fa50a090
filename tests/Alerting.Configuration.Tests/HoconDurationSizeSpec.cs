namespace Alerting.Configuration.Tests;

public sealed class HoconDurationSizeSpec
{
    [Theory]
    [InlineData("5s", 5_000)]
    [InlineData("1m", 60_000)]
    [InlineData("100ms", 100)]
    [InlineData("2 hours", 7_200_000)]
    [InlineData("1d", 86_400_000)]
    [InlineData("1.5 minutes", 90_000)]
    [InlineData("250", 250)]
    [InlineData("3 seconds", 3_000)]
    [InlineData("1 day", 86_400_000)]
    [InlineData("-2s", -2_000)]
    [InlineData(" 7millis ", 7)]
    public void A_duration_must_parse_to_milliseconds(string text, long milliseconds)
    {
        Assert.Equal(TimeSpan.FromMilliseconds(milliseconds), HoconDuration.Parse(text));
    }

    [Theory]
    [InlineData("500us", 5_000)]
    [InlineData("2 micros", 20)]
    [InlineData("300ns", 3)]
    [InlineData("150 nanoseconds", 2)]
    public void A_sub_millisecond_duration_must_parse_to_ticks(string text, long ticks)
    {
        Assert.Equal(TimeSpan.FromTicks(ticks), HoconDuration.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("abc")]
    [InlineData("5 fortnights")]
    [InlineData("s")]
    [InlineData("1.2.3s")]
    [InlineData("99999999999999d")]
    public void A_malformed_duration_must_be_rejected(string text)
    {
        Assert.False(HoconDuration.TryParse(text, out _));
        var error = Assert.Throws<FormatException>(() => HoconDuration.Parse(text));
        Assert.Contains("is not a duration", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("1MiB", 1_048_576)]
    [InlineData("512k", 524_288)]
    [InlineData("512K", 524_288)]
    [InlineData("10MB", 10_000_000)]
    [InlineData("1GiB", 1_073_741_824)]
    [InlineData("1g", 1_073_741_824)]
    [InlineData("2 kB", 2_000)]
    [InlineData("1.5KiB", 1_536)]
    [InlineData("42", 42)]
    [InlineData("42 bytes", 42)]
    [InlineData("3 mebibytes", 3_145_728)]
    [InlineData("1TB", 1_000_000_000_000)]
    public void A_size_must_parse_to_bytes(string text, long bytes)
    {
        Assert.Equal(bytes, HoconSize.Parse(text));
    }

    [Theory]
    [InlineData("")]
    [InlineData("-1k")]
    [InlineData("12 parsecs")]
    [InlineData("MiB")]
    [InlineData("9999999P")]
    public void A_malformed_size_must_be_rejected(string text)
    {
        Assert.False(HoconSize.TryParse(text, out _));
        Assert.Throws<FormatException>(() => HoconSize.Parse(text));
    }

    [Fact]
    public void A_tree_value_must_read_durations_and_sizes_quoted_or_not()
    {
        var config = HoconParser.Parse("a = 5s\nb = \"100ms\"\nc = 2 hours\nd = 512k\ne = \"1MiB\"", "d.conf");

        Assert.Equal(TimeSpan.FromSeconds(5), config.GetDuration("a"));
        Assert.Equal(TimeSpan.FromMilliseconds(100), config.GetDuration("b"));
        Assert.Equal(TimeSpan.FromHours(2), config.GetDuration("c"));
        Assert.Equal(524_288, config.GetSize("d"));
        Assert.Equal(1_048_576, config.GetSize("e"));
    }
}
