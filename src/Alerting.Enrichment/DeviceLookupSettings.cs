using Akka.Configuration;
using Alerting.Configuration;

namespace Alerting.Enrichment;

/// <summary>
/// Settings of the device-config lookup join, created once from HOCON (<see cref="Create"/>; keys in parentheses,
/// under <c>alerting.enrichment</c>) and immutable; copy with <c>with</c> or the <c>With*</c> methods. The cache defaults
/// are the reference job's <c>lookup.cache.max-rows = 1000</c> and <c>lookup.cache.ttl = 60s</c>.
/// </summary>
public sealed record DeviceLookupSettings
{
    /// <summary>The defaults.</summary>
    public static DeviceLookupSettings Default { get; } = new();

    /// <summary>Rows kept in the cache (<c>cache.max-rows</c>, 1000); the least recently used row is evicted beyond it; 0 disables the cache.</summary>
    public int CacheMaxRows { get; init; } = 1000;

    /// <summary>How long a loaded row, or a missing device's defaults, is served from the cache after it was loaded (<c>cache.ttl</c>, 60 s).</summary>
    public TimeSpan CacheTtl { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Most elements resolved together (<c>batch.size</c>, 256): their cache misses go out as one query.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Longest time the first element of a batch waits for the batch to fill (<c>batch.time</c>, 10 ms).</summary>
    public TimeSpan BatchTime { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// Whether a batch goes out as soon as no other batch is waiting for the store (<c>batch.eager</c>, on): a quiet
    /// stream then pays no batching delay, and a busy one still batches what arrives during a query. Off, every
    /// batch waits until it is full or its <see cref="BatchTime"/> has passed (fewer, larger queries).
    /// </summary>
    public bool EagerBatches { get; init; } = true;

    /// <summary>Batches resolved at once (<c>parallelism</c>, 4); the output keeps the input order whatever it is.</summary>
    public int Parallelism { get; init; } = 4;

    /// <summary>Wait before the first retry of a failed query (<c>backoff.min</c>, 100 ms).</summary>
    public TimeSpan BackoffMin { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>Cap of the wait between retries, which doubles after each failure in a row (<c>backoff.max</c>, 10 s).</summary>
    public TimeSpan BackoffMax { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>Each wait is stretched by a random fraction up to this, so instances do not retry in step (<c>backoff.random-factor</c>, 0.2).</summary>
    public double BackoffRandomFactor { get; init; } = 0.2;

    /// <summary>The HOCON path of these settings.</summary>
    public const string Section = "alerting.enrichment";

    /// <summary>
    /// The settings under <paramref name="path"/> of <paramref name="config"/>; a missing key keeps its default.
    /// An invalid value throws a <see cref="ConfigurationValueException"/> naming its full path.
    /// </summary>
    public static DeviceLookupSettings Create(Config config, string path = Section)
    {
        ArgumentNullException.ThrowIfNull(config);
        var d = Default;
        TimeSpan Positive(string key, TimeSpan fallback)
        {
            var value = config.ReadDuration($"{path}.{key}", fallback);
            return value > TimeSpan.Zero ? value : throw new ConfigurationValueException($"{path}.{key}", value.ToString(), "a positive duration");
        }

        var min = Positive("backoff.min", d.BackoffMin);
        var max = config.ReadDuration($"{path}.backoff.max", d.BackoffMax);
        if (max < min)
        {
            throw new ConfigurationValueException($"{path}.backoff.max", max.ToString(), $"at least {path}.backoff.min");
        }

        var factor = config.ReadDouble($"{path}.backoff.random-factor", d.BackoffRandomFactor);
        if (factor < 0)
        {
            throw new ConfigurationValueException($"{path}.backoff.random-factor", factor.ToString(System.Globalization.CultureInfo.InvariantCulture), "a non-negative number");
        }

        return new DeviceLookupSettings
        {
            CacheMaxRows = config.ReadInt($"{path}.cache.max-rows", d.CacheMaxRows, 0, 100_000_000),
            CacheTtl = Positive("cache.ttl", d.CacheTtl),
            BatchSize = config.ReadInt($"{path}.batch.size", d.BatchSize, 1, 1_000_000),
            BatchTime = Positive("batch.time", d.BatchTime),
            EagerBatches = config.ReadBool($"{path}.batch.eager", d.EagerBatches),
            Parallelism = config.ReadInt($"{path}.parallelism", d.Parallelism, 1, 1024),
            BackoffMin = min,
            BackoffMax = max,
            BackoffRandomFactor = factor,
        }.Validate();
    }

    /// <summary>A copy with another cache size and TTL.</summary>
    public DeviceLookupSettings WithCache(int maxRows, TimeSpan ttl) => this with { CacheMaxRows = maxRows, CacheTtl = ttl };

    /// <summary>A copy with another batch size and batch time.</summary>
    public DeviceLookupSettings WithBatching(int size, TimeSpan time) => this with { BatchSize = size, BatchTime = time };

    /// <summary>A copy that sends batches eagerly or holds each for its batch time (<see cref="EagerBatches"/>).</summary>
    public DeviceLookupSettings WithEagerBatches(bool eager) => this with { EagerBatches = eager };

    /// <summary>A copy with another parallelism.</summary>
    public DeviceLookupSettings WithParallelism(int parallelism) => this with { Parallelism = parallelism };

    /// <summary>A copy with another backoff.</summary>
    public DeviceLookupSettings WithBackoff(TimeSpan min, TimeSpan max, double randomFactor = 0.2) =>
        this with { BackoffMin = min, BackoffMax = max, BackoffRandomFactor = randomFactor };

    /// <summary>
    /// The wait before the retry that follows <paramref name="failuresInARow"/> failures (1 for the first):
    /// <c>min(max, min * 2^(n-1))</c>, stretched by <c>1 + random01 * BackoffRandomFactor</c>.
    /// </summary>
    public TimeSpan Backoff(int failuresInARow, double random01 = 0)
    {
        var exponent = Math.Clamp(failuresInARow - 1, 0, 30);
        var ticks = Math.Min(BackoffMax.Ticks, BackoffMin.Ticks * Math.Pow(2, exponent));
        ticks *= 1 + (Math.Clamp(random01, 0, 1) * BackoffRandomFactor);
        return TimeSpan.FromTicks((long)ticks);
    }

    /// <summary>Returns these settings, or throws <see cref="ArgumentException"/> naming the first invalid one.</summary>
    public DeviceLookupSettings Validate()
    {
        ArgumentOutOfRangeException.ThrowIfNegative(CacheMaxRows, nameof(CacheMaxRows));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(CacheTtl, TimeSpan.Zero, nameof(CacheTtl));
        ArgumentOutOfRangeException.ThrowIfLessThan(BatchSize, 1, nameof(BatchSize));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BatchTime, TimeSpan.Zero, nameof(BatchTime));
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1, nameof(Parallelism));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(BackoffMin, TimeSpan.Zero, nameof(BackoffMin));
        ArgumentOutOfRangeException.ThrowIfLessThan(BackoffMax, BackoffMin, nameof(BackoffMax));
        ArgumentOutOfRangeException.ThrowIfNegative(BackoffRandomFactor, nameof(BackoffRandomFactor));
        return this;
    }
}
