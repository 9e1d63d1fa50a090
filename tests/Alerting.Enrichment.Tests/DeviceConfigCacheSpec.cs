using Alerting.TestKit.Time;

namespace Alerting.Enrichment.Tests;

public sealed class DeviceConfigCacheSpec
{
    private readonly ManualTimeProvider _clock = new();

    private static DeviceConfig Config(string id, int version = 1) => new(id, version, 3, "info-" + id, null, ["B"]);

    [Fact]
    public void A_DeviceConfigCache_must_serve_a_stored_row_as_a_hit_and_count_an_absent_one_as_a_miss()
    {
        var cache = new DeviceConfigCache(10, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("d1"));

        Assert.True(cache.TryGet("d1", out var hit));
        Assert.Equal(Config("d1"), hit);
        Assert.False(cache.TryGet("d2", out _));

        var stats = cache.Statistics;
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Misses);
        Assert.Equal(1, stats.Rows);
    }

    [Fact]
    public void A_DeviceConfigCache_must_expire_a_row_when_its_ttl_has_passed_since_it_was_stored()
    {
        var cache = new DeviceConfigCache(10, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("d1"));

        _clock.Advance(TimeSpan.FromSeconds(60) - TimeSpan.FromTicks(1));
        Assert.True(cache.TryGet("d1", out _)); // reading does not extend the TTL
        _clock.Advance(TimeSpan.FromTicks(1));
        Assert.False(cache.TryGet("d1", out _));

        var stats = cache.Statistics;
        Assert.Equal(1, stats.Expired);
        Assert.Equal(1, stats.Hits);
        Assert.Equal(1, stats.Misses);
        Assert.Equal(0, stats.Rows);
    }

    [Fact]
    public void A_DeviceConfigCache_must_restart_the_ttl_when_a_row_is_stored_again()
    {
        var cache = new DeviceConfigCache(10, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("d1", version: 1));
        _clock.Advance(TimeSpan.FromSeconds(50));
        cache.Put(Config("d1", version: 2));
        _clock.Advance(TimeSpan.FromSeconds(50));

        Assert.True(cache.TryGet("d1", out var config));
        Assert.Equal(2, config.Version);
        Assert.Equal(1, cache.Count);
    }

    [Fact]
    public void A_DeviceConfigCache_must_evict_the_least_recently_used_row_at_max_rows()
    {
        var cache = new DeviceConfigCache(3, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("a"));
        cache.Put(Config("b"));
        cache.Put(Config("c"));
        Assert.True(cache.TryGet("a", out _)); // a becomes the most recently used: b is now the oldest

        cache.Put(Config("d"));

        Assert.Equal(3, cache.Count);
        Assert.False(cache.TryGet("b", out _));
        Assert.True(cache.TryGet("a", out _));
        Assert.True(cache.TryGet("c", out _));
        Assert.True(cache.TryGet("d", out _));
        Assert.Equal(1, cache.Statistics.Evictions);
    }

    [Fact]
    public void A_DeviceConfigCache_must_never_hold_more_than_max_rows()
    {
        var cache = new DeviceConfigCache(1000, TimeSpan.FromSeconds(60), _clock);
        for (var i = 0; i < 2500; i++)
        {
            cache.Put(Config("d" + i));
        }

        Assert.Equal(1000, cache.Count);
        Assert.Equal(1500, cache.Statistics.Evictions);
        Assert.True(cache.TryGet("d2499", out _));
        Assert.True(cache.TryGet("d1500", out _));
        Assert.False(cache.TryGet("d1499", out _));
    }

    [Fact]
    public void A_DeviceConfigCache_must_replace_a_row_without_evicting_another()
    {
        var cache = new DeviceConfigCache(2, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("a"));
        cache.Put(Config("b"));
        cache.Put(Config("a", version: 7));

        Assert.Equal(0, cache.Statistics.Evictions);
        Assert.True(cache.TryGet("a", out var a));
        Assert.Equal(7, a.Version);
        Assert.True(cache.TryGet("b", out _));
    }

    [Fact]
    public void A_DeviceConfigCache_must_cache_the_defaults_of_a_missing_device_and_count_it()
    {
        var cache = new DeviceConfigCache(10, TimeSpan.FromSeconds(60), _clock);

        var defaults = cache.PutMissing("ghost");

        Assert.True(defaults.IsDefault);
        Assert.Equal(DeviceConfig.Defaults("ghost"), defaults);
        Assert.True(cache.TryGet("ghost", out var cached));
        Assert.True(cached.IsDefault);
        Assert.Equal(1, cache.Statistics.MissingDevices);
    }

    [Fact]
    public void A_DeviceConfigCache_with_zero_max_rows_must_keep_nothing()
    {
        var cache = new DeviceConfigCache(0, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("a"));
        cache.PutMissing("ghost");

        Assert.Equal(0, cache.Count);
        Assert.False(cache.TryGet("a", out _));
        Assert.Equal(1, cache.Statistics.MissingDevices);
    }

    [Fact]
    public void A_DeviceConfigCache_must_forget_an_invalidated_row()
    {
        var cache = new DeviceConfigCache(10, TimeSpan.FromSeconds(60), _clock);
        cache.Put(Config("a"));

        Assert.True(cache.Invalidate("a"));
        Assert.False(cache.Invalidate("a"));
        Assert.False(cache.TryGet("a", out _));
    }
}
