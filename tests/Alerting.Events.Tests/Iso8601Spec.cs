using System.Globalization;
using System.Text;

namespace Alerting.Events.Tests;

public sealed class Iso8601Spec
{
    [Fact]
    public void The_utc_timestamp_fast_path_must_agree_with_the_framework_parser()
    {
        var random = new Random(99);
        for (var i = 0; i < 20_000; i++)
        {
            var instant = new DateTimeOffset(random.NextInt64(DateTimeOffset.MinValue.UtcTicks, DateTimeOffset.MaxValue.UtcTicks), TimeSpan.Zero);
            var digits = random.Next(0, 8);
            var format = digits == 0 ? "yyyy-MM-dd'T'HH:mm:ss'Z'" : "yyyy-MM-dd'T'HH:mm:ss." + new string('f', digits) + "'Z'";
            var text = instant.ToString(format, CultureInfo.InvariantCulture);
            Assert.True(Iso8601.TryParseUtc(Encoding.ASCII.GetBytes(text), out var ms), text);
            Assert.Equal(DateTimeOffset.Parse(text, CultureInfo.InvariantCulture).ToUnixTimeMilliseconds(), ms);
        }
    }

    [Theory]
    [InlineData("2026-11-22T08:00:00+01:00")]
    [InlineData("2026-11-22T08:00:00")]
    [InlineData("2026-11-22 08:00:00Z")]
    [InlineData("2026-02-29T08:00:00Z")]
    [InlineData("2026-13-01T08:00:00Z")]
    [InlineData("2026-11-22T24:00:00Z")]
    [InlineData("2026-11-22T08:60:00Z")]
    [InlineData("2026-11-22T08:00:00.Z")]
    [InlineData("2026-11-22T08:00:00,5Z")]
    [InlineData("0000-01-01T00:00:00Z")]
    [InlineData("2026-1a-22T08:00:00Z")]
    public void The_utc_timestamp_fast_path_must_leave_other_shapes_to_the_general_parser(string text)
    {
        Assert.False(Iso8601.TryParseUtc(Encoding.ASCII.GetBytes(text), out _));
    }

    [Fact]
    public void A_decoder_must_keep_numeric_device_keys_distinct_when_caching_them()
    {
        var decoder = new EventDecoder(new SourceDefinition(), new ManualTimeProvider());
        string Device(string key) => decoder.Decode(Encoding.UTF8.GetBytes(
            $$"""{"Message":"Run","Param":{"Timestamp":0},"DeviceNumber":{{key}}}"""), new RecordOrigin("t", 0, 0)).Event!.DeviceId;
        Assert.Equal("-0", Device("-0"));
        Assert.Equal("0", Device("0"));
        Assert.Equal("-0", Device("-0"));
        Assert.Equal("65535", Device("65535"));
        Assert.Equal("65536", Device("65536"));
        Assert.Equal("4.5", Device("4.5"));
        Assert.Same(Device("77"), Device("77"));
    }
}
