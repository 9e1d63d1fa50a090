namespace Alerting.Configuration.Tests;

public sealed class HoconMergeSpec
{
    private static HoconObject Parse(string text) =>
        HoconParser.Parse(text, "merge.conf", new HoconParseOptions { EnvironmentVariables = _ => null });

    [Fact]
    public void A_repeated_object_must_merge_into_the_earlier_one()
    {
        var config = Parse("""
            kafka { brokers = "a:9092", linger = 5ms, producer { acks = all } }
            kafka { linger = 10ms, producer { idempotent = true } }
            kafka.consumer.group = alerts
            """);

        Assert.Equal("a:9092", config.GetString("kafka.brokers"));
        Assert.Equal(TimeSpan.FromMilliseconds(10), config.GetDuration("kafka.linger"));
        Assert.Equal("all", config.GetString("kafka.producer.acks"));
        Assert.True(config.GetBool("kafka.producer.idempotent"));
        Assert.Equal("alerts", config.GetString("kafka.consumer.group"));
        Assert.Equal(["brokers", "linger", "producer", "consumer"], config.GetObject("kafka").Keys);
    }

    [Fact]
    public void A_later_scalar_must_win_and_report_its_own_position()
    {
        var config = Parse("a = 1\nb = x\na = 2");

        Assert.Equal(2, config.GetInt("a"));
        Assert.Equal(new HoconPosition("merge.conf", 3, 5), config.Get("a").Position);
    }

    [Fact]
    public void A_later_object_must_replace_an_earlier_scalar_and_a_later_scalar_an_object()
    {
        var config = Parse("""
            a = 1
            a { x = 1 }
            b { y = 2 }
            b = 3
            c = [1, 2]
            c = [3]
            """);

        Assert.Equal(1, config.GetInt("a.x"));
        Assert.Equal(3, config.GetInt("b"));
        Assert.Equal([3L], config.GetArray("c").Select(v => v.AsLong()));
    }

    [Fact]
    public void Object_concatenation_must_merge_objects_written_side_by_side()
    {
        var config = Parse("""
            defaults { retries = 3, delay = 1s }
            kafka = ${defaults} { delay = 2s }
            """);

        Assert.Equal(3, config.GetInt("kafka.retries"));
        Assert.Equal(TimeSpan.FromSeconds(2), config.GetDuration("kafka.delay"));
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetDuration("defaults.delay"));
    }

    [Fact]
    public void A_substituted_object_must_merge_with_an_earlier_object_at_the_same_key()
    {
        var config = Parse("""
            base { a = 1, b = 2 }
            x { b = 20, c = 30 }
            x = ${base}
            """);

        Assert.Equal(1, config.GetInt("x.a"));
        Assert.Equal(2, config.GetInt("x.b"));
        Assert.Equal(30, config.GetInt("x.c"));
    }

    [Fact]
    public void A_dotted_key_must_merge_into_an_object_that_comes_from_a_substitution()
    {
        var config = Parse("""
            base { a = 1 }
            x = ${base}
            x.b = 2
            """);

        Assert.Equal(1, config.GetInt("x.a"));
        Assert.Equal(2, config.GetInt("x.b"));
        Assert.False(config.HasPath("base.b"));
    }
}
