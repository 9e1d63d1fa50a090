using Akka.Actor;
using Akka.Configuration;

namespace Alerting.Kafka.Settings;

/// <summary>
/// Settings of <see cref="Dsl.Committer"/>, read from an <c>akka.kafka.committer</c> section (keys and defaults as
/// Akka.Streams.Kafka's) and changed with <c>With*</c> copies. Immutable.
/// </summary>
public sealed record CommitterSettings
{
    /// <summary>The configuration path of the default section.</summary>
    public const string ConfigPath = "akka.kafka.committer";

    private CommitterSettings()
    {
    }

    /// <summary><c>max-batch</c>: most offsets aggregated into one commit.</summary>
    public int MaxBatch { get; private init; }

    /// <summary><c>max-interval</c>: longest time an offset waits to be committed.</summary>
    public TimeSpan MaxInterval { get; private init; }

    /// <summary><c>parallelism</c>: commits in flight at once.</summary>
    public int Parallelism { get; private init; }

    /// <summary>Settings from <paramref name="system"/>'s <c>akka.kafka.committer</c> section over the library's defaults.</summary>
    public static CommitterSettings Create(ActorSystem system) => Create(KafkaDefaults.Section(system, ConfigPath));

    /// <summary>Settings from a section laid out like <c>akka.kafka.committer</c>; keys it lacks come from the library's defaults.</summary>
    /// <exception cref="ConfigurationException">A key has a value of the wrong kind or out of range.</exception>
    public static CommitterSettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var c = config.WithFallback(KafkaDefaults.Config.GetConfig(ConfigPath));
        var interval = KafkaDefaults.Duration(c, "max-interval");
        if (interval <= TimeSpan.Zero)
        {
            throw new ConfigurationException($"max-interval must be positive, is {interval}");
        }

        return new CommitterSettings
        {
            MaxBatch = KafkaDefaults.Positive(c, "max-batch"),
            MaxInterval = interval,
            Parallelism = KafkaDefaults.Positive(c, "parallelism"),
        };
    }

    /// <summary>A copy with another <c>max-batch</c>.</summary>
    public CommitterSettings WithMaxBatch(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return this with { MaxBatch = value };
    }

    /// <summary>A copy with another <c>max-interval</c>.</summary>
    public CommitterSettings WithMaxInterval(TimeSpan value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(value, TimeSpan.Zero);
        return this with { MaxInterval = value };
    }

    /// <summary>A copy with another <c>parallelism</c>.</summary>
    public CommitterSettings WithParallelism(int value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(value, 1);
        return this with { Parallelism = value };
    }
}
