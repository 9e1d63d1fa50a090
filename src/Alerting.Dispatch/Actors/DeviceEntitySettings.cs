using Akka.Configuration;

namespace Alerting.Dispatch.Actors;

/// <summary>
/// Settings of the device entity, bound once from <c>alerting.dispatch.entity</c> (defaults and comments in this
/// assembly's <c>reference.conf</c>); immutable, with <c>with</c> copies.
/// </summary>
/// <param name="DefaultDelay">Delay of a generate whose message carries none.</param>
/// <param name="SnapshotEvery">A snapshot is saved after this many persisted events.</param>
/// <param name="DeleteEventsOnSnapshot">Whether events covered by a saved snapshot, and older snapshots, are deleted.</param>
/// <param name="RememberFinished">How many finished alert ids a device remembers to recognise a replayed alert.</param>
/// <param name="PassivateAfter">Idle time after which a quiet entity stops; <see cref="TimeSpan.Zero"/> = never.</param>
public sealed record DeviceEntitySettings(
    TimeSpan DefaultDelay,
    int SnapshotEvery,
    bool DeleteEventsOnSnapshot,
    int RememberFinished,
    TimeSpan PassivateAfter)
{
    /// <summary>The path of the section in the configuration.</summary>
    public const string Path = "alerting.dispatch.entity";

    /// <summary>The defaults of <c>reference.conf</c>.</summary>
    public static DeviceEntitySettings Default { get; } = Create(DispatchPersistence.ReferenceConfig);

    /// <summary>Reads <see cref="Path"/> from <paramref name="config"/>, falling back to <c>reference.conf</c>; validates.</summary>
    public static DeviceEntitySettings Create(Config config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var full = ReferenceEquals(config, DispatchPersistence.ReferenceConfig) ? config : config.WithFallback(DispatchPersistence.ReferenceConfig);
        var c = full.GetConfig(Path);
        var settings = new DeviceEntitySettings(
            c.GetTimeSpan("default-delay"),
            c.GetInt("snapshot-every"),
            c.GetBoolean("delete-events-on-snapshot"),
            c.GetInt("remember-finished"),
            c.GetTimeSpan("passivate-after"));
        settings.Validate();
        return settings;
    }

    /// <summary>Throws when a value is out of range.</summary>
    public void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(DefaultDelay, TimeSpan.Zero, "default-delay");
        ArgumentOutOfRangeException.ThrowIfLessThan(SnapshotEvery, 1, "snapshot-every");
        ArgumentOutOfRangeException.ThrowIfLessThan(RememberFinished, 1, "remember-finished");
        ArgumentOutOfRangeException.ThrowIfLessThan(PassivateAfter, TimeSpan.Zero, "passivate-after");
    }
}
