using Alerting.Configuration;

namespace Alerting.Enrichment.Tests;

public sealed class DeviceLookupSettingsSpec
{
    [Fact]
    public void DeviceLookupSettings_must_be_created_from_hocon_and_keep_defaults_for_what_is_missing()
    {
        var config = HoconDocument.Parse(
            "alerting.enrichment { cache { max-rows = 10, ttl = 2m }, batch.eager = off, backoff.max = 1s }", "e.conf", environment: _ => null).Config;

        var settings = DeviceLookupSettings.Create(config);

        Assert.Equal((10, TimeSpan.FromMinutes(2), TimeSpan.FromSeconds(1)), (settings.CacheMaxRows, settings.CacheTtl, settings.BackoffMax));
        Assert.Equal(DeviceLookupSettings.Default with { CacheMaxRows = 10, CacheTtl = TimeSpan.FromMinutes(2), EagerBatches = false, BackoffMax = TimeSpan.FromSeconds(1) }, settings);
        Assert.True(DeviceLookupSettings.Default.EagerBatches);
        Assert.Equal("alerting.enrichment.batch.time", Assert.Throws<ConfigurationValueException>(() =>
            DeviceLookupSettings.Create(HoconDocument.Parse("alerting.enrichment.batch.time = 0s", "e.conf", environment: _ => null).Config)).Key);
    }

    [Fact]
    public void DeviceLookupSettings_must_default_to_the_reference_cache_of_1000_rows_for_60_seconds()
    {
        var settings = DeviceLookupSettings.Default;

        Assert.Equal(1000, settings.CacheMaxRows);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.CacheTtl);
        Assert.True(settings.Parallelism > 1);
        settings.Validate();
    }

    [Fact]
    public void DeviceLookupSettings_must_double_the_backoff_after_each_failure_up_to_the_cap()
    {
        var settings = DeviceLookupSettings.Default.WithBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), randomFactor: 0);

        var waits = Enumerable.Range(1, 6).Select(n => settings.Backoff(n).TotalMilliseconds).ToArray();

        Assert.Equal([100, 200, 400, 800, 1000, 1000], waits);
        Assert.Equal(TimeSpan.FromSeconds(1), settings.Backoff(int.MaxValue));
    }

    [Fact]
    public void DeviceLookupSettings_must_stretch_the_backoff_by_at_most_the_random_factor()
    {
        var settings = DeviceLookupSettings.Default.WithBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1), randomFactor: 0.5);

        Assert.Equal(TimeSpan.FromMilliseconds(100), settings.Backoff(1, random01: 0));
        Assert.Equal(TimeSpan.FromMilliseconds(150), settings.Backoff(1, random01: 1));
    }

    [Fact]
    public void DeviceLookupSettings_must_reject_invalid_values_naming_the_setting()
    {
        Assert.Contains(nameof(DeviceLookupSettings.BatchSize),
            Assert.ThrowsAny<ArgumentException>(() => (DeviceLookupSettings.Default with { BatchSize = 0 }).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DeviceLookupSettings.CacheTtl),
            Assert.ThrowsAny<ArgumentException>(() => DeviceLookupSettings.Default.WithCache(10, TimeSpan.Zero).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DeviceLookupSettings.BackoffMax),
            Assert.ThrowsAny<ArgumentException>(() => DeviceLookupSettings.Default.WithBackoff(TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(1)).Validate()).Message, StringComparison.Ordinal);
        Assert.Contains(nameof(DeviceLookupSettings.Parallelism),
            Assert.ThrowsAny<ArgumentException>(() => DeviceLookupSettings.Default.WithParallelism(0).Validate()).Message, StringComparison.Ordinal);
    }
}
