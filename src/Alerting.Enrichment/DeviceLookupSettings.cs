namespace Akka.Alerting.Enrichment;

/// <summary>
/// Settings of the device-config lookup join, bound once from HOCON (section <c>alerting.enrichment.lookup</c>
/// by the service) and immutable; copy with <c>with</c> or the <c>With*</c> methods. The defaults are the
/// reference job's <c>lookup.cache.max-rows = 1000</c> and <c>lookup.cache.ttl = 60s</c>.
/// </summary>
/// <param name="CacheMaxRows">Rows kept in the cache (<c>cache.max-rows</c>); the least recently used row is evicted beyond it; 0 disables the cache.</param>
/// <param name="CacheTtl">How long a loaded row (or a device's defaults) is served from the cache after it was loaded (<c>cache.ttl</c>).</param>
/// <param name="BatchSize">Most elements resolved together (<c>batch.size</c>): their cache misses go out as one query.</param>
/// <param name="BatchTime">Longest time the first element of a batch waits for the batch to fill (<c>batch.time</c>).</param>
/// <param name="Parallelism">Batches resolved at once (<c>parallelism</c>); the output keeps the input order whatever it is.</param>
/// <param name="BackoffMin">Wait before the first retry of a failed query (<c>backoff.min</c>).</param>
/// <param name="BackoffMax">Cap of the wait between retries, which doubles after each failure (<c>backoff.max</c>).</param>
/// <param name="BackoffRandomFactor">Each wait is stretched by up to this fraction, so instances do not retry in step (<c>backoff.random-factor</c>).</param>
public sealed record DeviceLookupSettings(
    int CacheMaxRows = 1000,
    TimeSpan? CacheTtl = null,
    int BatchSize = 256,
    TimeSpan? BatchTime = null,
    int Parallelism = 4,
    TimeSpan? BackoffMin = null,
    TimeSpan? BackoffMax = null,
    double BackoffRandomFactor = 0.2)
{
    /// <summary>The defaults.</summary>
    public static DeviceLookupSettings Default { get; } = new();

    /// <summary><see cref="CacheTtl"/> with its default (60 s) applied.</summary>
    public TimeSpan Ttl => CacheTtl ?? TimeSpan.FromSeconds(60);

    /// <summary><see cref="BatchTime"/> with its default (10 ms) applied.</summary>
    public TimeSpan BatchWindow => BatchTime ?? TimeSpan.FromMilliseconds(10);

    /// <summary><see cref="BackoffMin"/> with its default (100 ms) applied.</summary>
    public TimeSpan MinBackoff => BackoffMin ?? TimeSpan.FromMilliseconds(100);

    /// <summary><see cref="BackoffMax"/> with its default (10 s) applied.</summary>
    public TimeSpan MaxBackoff => BackoffMax ?? TimeSpan.FromSeconds(10);

    /// <summary>A copy with another cache size and TTL.</summary>
    public DeviceLookupSettings WithCache(int maxRows, TimeSpan ttl) => this with { CacheMaxRows = maxRows, CacheTtl = ttl };

    /// <summary>A copy with another batch size and batch time.</summary>
    public DeviceLookupSettings WithBatching(int size, TimeSpan time) => this with { BatchSize = size, BatchTime = time };

    /// <summary>A copy with another parallelism.</summary>
    public DeviceLookupSettings WithParallelism(int parallelism) => this with { Parallelism = parallelism };

    /// <summary>A copy with another backoff.</summary>
    public DeviceLookupSettings WithBackoff(TimeSpan min, TimeSpan max, double randomFactor = 0.2) =>
        this with { BackoffMin = min, BackoffMax = max, BackoffRandomFactor = randomFactor };

    /// <summary>The wait before retry number <paramref name="failuresInARow"/> (1 for the first): <c>min(max, min * 2^(n-1))</c>, stretched by the random factor.</summary>
    public TimeSpan Backoff(int failuresInARow, double random01 = 0)
    {
        var exponent = Math.Clamp(failuresInARow - 1, 0, 30);
        var ticks = Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * Math.Pow(2, exponent));
        ticks *= 1 + (Math.Clamp(random01, 0, 1) * BackoffRandomFactor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Throws <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public DeviceLookupSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(CacheMaxRows, nameof(CacheMaxRows));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(Ttl, TimeSpan.Zero, nameof(CacheTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BatchWindow, TimeSpan.Zero, nameof(BatchTime));
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1, nameof(Parallelism));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MinBackoff, TimeSpan.Zero, nameof(BackoffMin));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBackoff, MinBackoff, nameof(BackoffMax));
        ArgumentOutOfRangeException.ThrowIfNegative(BackoffRandomFactor, nameof(BackoffRandomFactor));
        return this;
    }
}
