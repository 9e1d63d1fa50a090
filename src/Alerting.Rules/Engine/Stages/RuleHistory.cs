using Akka;
using Akka.Streams.Dsl;
using Alerting.Events;

namespace Alerting.Rules;

/// <summary>
/// Reads a partition's history for a rule's bootstrap: a source of its decoded events, each source partition's in
/// offset order, from the offset of <c>fromTime</c> (the broker's offsets-for-times) up to an end offset, then
/// completing. Runs in its own materialization, off the live stream.
/// </summary>
public interface IRuleHistory
{
    /// <summary>
    /// The events of each source partition of <paramref name="endOffsets"/> from the first offset whose timestamp is at
    /// or after <paramref name="fromTime"/> up to (not including) its end offset. Where the partition's retained log
    /// starts after <paramref name="fromTime"/> it reads from the log start and says so (its own log and counter).
    /// </summary>
    Source<DeviceEvent, NotUsed> Read(IReadOnlyDictionary<SourcePartition, long> endOffsets, long fromTime);
}

/// <summary>How a match stage runs bootstraps over history (see <see cref="PartitionMatchStage"/>).</summary>
/// <param name="History">The history reader.</param>
/// <param name="OutOfOrdernessMs">The sources' out-of-orderness bound: the history matcher's watermark trails its largest event time by it.</param>
/// <param name="Options">The live engine's options, given to the history matcher.</param>
/// <param name="OnDone">Told of each bootstrap that ended, on the stage's thread (logs, metrics); must not throw.</param>
/// <param name="MaxHeldElements">
/// The most live elements (events and watermark steps) a bootstrap holds for its rules while the rest of the partition
/// goes on; once that many are held the partition stops pulling until the hand-over. At least 1.
/// </param>
/// <param name="OnHoldFull">Told once per bootstrap whose hold reaches <paramref name="MaxHeldElements"/>, on the stage's thread; must not throw.</param>
public sealed record BootstrapSettings(
    IRuleHistory History,
    long OutOfOrdernessMs,
    RuleEngineOptions? Options = null,
    Action<RuleBootstrapReport>? OnDone = null,
    int MaxHeldElements = BootstrapSettings.DefaultMaxHeldElements,
    Action<BootstrapHoldFull>? OnHoldFull = null)
{
    /// <summary>The default of <see cref="MaxHeldElements"/> (<c>alerting.rules.bootstrap.max-held-events</c>).</summary>
    public const int DefaultMaxHeldElements = 50_000;

    /// <summary>A copy holding at most <paramref name="maxHeldElements"/> live elements per bootstrap.</summary>
    public BootstrapSettings WithMaxHeldElements(int maxHeldElements)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHeldElements, 1);
        return this with { MaxHeldElements = maxHeldElements };
    }
}

/// <summary>What one rule's bootstrap did.</summary>
/// <param name="SetVersion">The live rule-set version that brought the rule.</param>
/// <param name="RuleId">The rule.</param>
/// <param name="RuleVersion">The rule's version.</param>
/// <param name="From">Event time the history started at (effective time − look-back).</param>
/// <param name="Until">The effective time.</param>
/// <param name="EventsRead">History records read (the window's and the ones around it).</param>
/// <param name="EventsInWindow">Of those, events in <c>[From, Until)</c>, matched by the rule.</param>
/// <param name="Alerts">Alerts found in history and produced (0 when suppressed).</param>
/// <param name="Devices">Devices whose state of the rule was handed to the live matcher.</param>
/// <param name="Elapsed">How long the bootstrap ran, from the swap to the hand-over.</param>
public sealed record RuleBootstrapReport(long SetVersion, string RuleId, int RuleVersion, long From, long Until, long EventsRead, long EventsInWindow, int Alerts, int Devices, TimeSpan Elapsed)
{
    /// <summary>Live elements (events and watermark steps) the rule was held for and caught up over at the hand-over.</summary>
    public int HeldElements { get; init; }

    /// <summary>Live alerts the rule raised over the held elements, produced at the hand-over.</summary>
    public int LiveAlerts { get; init; }

    /// <summary>How long the partition stopped pulling for the bootstrap (its hold full, or a later version due): zero when the other rules never waited.</summary>
    public TimeSpan Waited { get; init; }
}

/// <summary>A bootstrap's hold reached its limit: the partition waits for the hand-over from here.</summary>
/// <param name="SetVersion">The live rule-set version that brought the rules.</param>
/// <param name="HeldElements">The elements held (the limit).</param>
/// <param name="AfterRunning">How long the bootstrap had run.</param>
public sealed record BootstrapHoldFull(long SetVersion, int HeldElements, TimeSpan AfterRunning);
