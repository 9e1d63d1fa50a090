using Akka.Configuration;
using Alerting.Configuration;
using Alerting.Dispatch.Actors;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// Settings of the device shard region and of its delivery from Kafka, bound once from <c>alerting.dispatch.sharding</c>
/// (defaults and comments in this assembly's <c>reference.conf</c>); immutable, with <c>with</c> copies.
/// </summary>
/// <param name="TypeName">The shard region's type name (the same on every node).</param>
/// <param name="Parallelism">Commands of one partition in flight to the entities at once (asked, not yet acknowledged).</param>
/// <param name="AskTimeout">How long a command waits for its entity's acknowledgement before the delivery restarts.</param>
/// <param name="MaxDeviceIdBytes">A device id longer than this (UTF-8 bytes) is a dead letter.</param>
/// <param name="MaxDelay">A <c>Delay</c> longer than this (or negative) is a dead letter.</param>
/// <param name="RestartMinBackoff">First wait before the delivery restarts after a failure.</param>
/// <param name="RestartMaxBackoff">Longest wait between restarts.</param>
/// <param name="MaxRestarts">Restarts allowed within <paramref name="MaxRestartsWithin"/>; one more stops the dispatcher.</param>
/// <param name="MaxRestartsWithin">The window of <paramref name="MaxRestarts"/>.</param>
/// <param name="RetryMinBackoff">Wait before a command its entity failed (journal write) is sent again.</param>
/// <param name="RetryMaxBackoff">Longest wait between two attempts of a command (the wait doubles after each failure).</param>
/// <param name="MaxAttempts">Attempts of one command; when the last fails, the delivery fails and restarts.</param>
public sealed record DispatchShardingSettings(
    string TypeName,
    int Parallelism,
    TimeSpan AskTimeout,
    int MaxDeviceIdBytes,
    TimeSpan MaxDelay,
    TimeSpan RestartMinBackoff,
    TimeSpan RestartMaxBackoff,
    int MaxRestarts,
    TimeSpan MaxRestartsWithin,
    TimeSpan RetryMinBackoff,
    TimeSpan RetryMaxBackoff,
    int MaxAttempts)
{
    /// <summary>The path of the section in the configuration.</summary>
    public const string Path = "alerting.dispatch.sharding";

    /// <summary>The defaults of <c>reference.conf</c>.</summary>
    public static DispatchShardingSettings Default { get; } = Create(DispatchPersistence.ReferenceConfig);

    /// <summary>Reads <see cref="Path"/> from <paramref name="config"/>, falling back to <c>reference.conf</c>; validates.</summary>
    public static DispatchShardingSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = ReferenceEquals(config, DispatchPersistence.ReferenceConfig) ? config : config.WithFallback(DispatchPersistence.ReferenceConfig);
        var settings = new DispatchShardingSettings(
            c.ReadRequiredString(Path + ".type-name"),
            c.ReadInt(Path + ".parallelism", 0, 1, 100_000),
            c.ReadDuration(Path + ".ask-timeout", TimeSpan.Zero),
            c.ReadInt(Path + ".max-device-id-bytes", 0, 1, 1_000_000),
            c.ReadDuration(Path + ".max-delay", TimeSpan.Zero),
            c.ReadDuration(Path + ".restart.min-backoff", TimeSpan.Zero),
            c.ReadDuration(Path + ".restart.max-backoff", TimeSpan.Zero),
            c.ReadInt(Path + ".restart.max-restarts", 0, 0, 1_000_000),
            c.ReadDuration(Path + ".restart.max-restarts-within", TimeSpan.Zero),
            c.ReadDuration(Path + ".retry.min-backoff", TimeSpan.Zero),
            c.ReadDuration(Path + ".retry.max-backoff", TimeSpan.Zero),
            c.ReadInt(Path + ".retry.max-attempts", 0, 1, 1_000));
        return settings.Validate();
    }

    /// <summary>Throws when a value is out of range; returns the settings.</summary>
    public DispatchShardingSettings Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(TypeName, "type-name");
        ArgumentOutOfRangeException.ThrowIfLessThan(Parallelism, 1, "parallelism");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(AskTimeout, TimeSpan.Zero, "ask-timeout");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDeviceIdBytes, 1, "max-device-id-bytes");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDelay, TimeSpan.Zero, "max-delay");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(RestartMinBackoff, TimeSpan.Zero, "restart.min-backoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(RestartMaxBackoff, RestartMinBackoff, "restart.max-backoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxRestarts, 0, "restart.max-restarts");
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(MaxRestartsWithin, TimeSpan.Zero, "restart.max-restarts-within");
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMinBackoff, TimeSpan.Zero, "retry.min-backoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(RetryMaxBackoff, RetryMinBackoff, "retry.max-backoff");
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxAttempts, 1, "retry.max-attempts");
        return this;
    }

    /// <summary>The wait after the <paramref name="failedAttempts"/>-th failed attempt of a command: doubling from the minimum, capped.</summary>
    public TimeSpan RetryBackoff(int failedAttempts)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(failedAttempts, 1);
        var factor = Math.Pow(2, Math.Min(failedAttempts - 1, 30));
        var wait = RetryMinBackoff.TotalMilliseconds * factor;
        return wait >= RetryMaxBackoff.TotalMilliseconds ? RetryMaxBackoff : TimeSpan.FromMilliseconds(wait);
    }
}
