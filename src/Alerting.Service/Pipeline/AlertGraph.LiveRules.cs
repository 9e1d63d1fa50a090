using Alerting.Rules;
using Alerting.Rules.Live;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// Live rule sets in the alert graph. With <see cref="LiveRuleSets"/> (the control topic's versions), each partition's
/// match stage starts under the version its checkpoint was taken under (a partition without a checkpoint under version
/// 0, the rule file) and swaps to each newer version when its watermark reaches the version's effective time, so every
/// partition changes sets at the same event time whatever its node, and a replay from a checkpoint swaps where the first
/// run did. Without it the rule set given to the graph stays in force.
/// </summary>
public sealed partial class AlertGraph
{
    private readonly LiveRuleSets? _live;

    /// <summary>Per running substream, the live rule-set version in force, as its stages last reported it (removed when it ends).</summary>
    private readonly System.Collections.Concurrent.ConcurrentDictionary<PartitionRun, long> _activeVersions = new();

    /// <summary>The live rule-set version each running partition matches under (by partition number; the lower one while a partition's next run starts).</summary>
    public IReadOnlyDictionary<int, long> ActiveRuleVersions =>
        _activeVersions.GroupBy(kv => kv.Key.Partition).ToDictionary(g => g.Key, g => g.Min(kv => kv.Value));

    private RuleSet StartRules(PartitionRun run)
    {
        if (_live is null)
        {
            return _rules;
        }

        var restored = run.Partitions.Values.Select(p => p.Restored).OfType<AlertCheckpoint>().ToList();
        if (restored.Count == 0)
        {
            _activeVersions[run] = 0;
            return _live.Base; // event time decides: the first watermark swaps through every version due by then
        }

        var version = restored.Max(c => c.RulesVersion);
        var set = _live.Find(version);
        if (set is null)
        {
            // the version is not known here (refused on this node, or not on the control topic any more)
            set = _live.InForceAt(restored.Min(c => c.ReleasedUpTo));
            LogUnknownRulesVersion(run.Partition, version, set.Version);
        }

        _activeVersions[run] = set.Version;
        return set.Rules;
    }

    private KafkaRuleHistory? _history;

    // bootstraps over history run where rule sets change live; the reader is made once, on first use
    private BootstrapSettings? BootstrapFor(Alerting.Events.SourceDefinition first, PartitionRun run)
    {
        if (_live is null)
        {
            return null;
        }

        _history ??= new KafkaRuleHistory(_system, _settings, _sources, _rules.Schema, _time, _counters, _loggerFactory);
        return new BootstrapSettings(_history, (long)first.MaxOutOfOrderness.TotalMilliseconds, EngineOptions(first), report => Bootstrapped(run, report),
            _settings.Rules.MaxHeldEvents, full => HoldFull(run, full));
    }

    private void Bootstrapped(PartitionRun run, RuleBootstrapReport report)
    {
        _counters.CountBootstrap(report.EventsRead, report.HeldElements);
        LogBootstrapped(run.Partition, report.RuleId, report.RuleVersion, report.SetVersion, DateTimeOffset.FromUnixTimeMilliseconds(report.From),
            DateTimeOffset.FromUnixTimeMilliseconds(report.Until), report.EventsRead, report.EventsInWindow, report.Alerts, report.Devices, report.HeldElements,
            report.LiveAlerts, report.Elapsed.TotalMilliseconds, report.Waited.TotalMilliseconds);
    }

    private void HoldFull(PartitionRun run, BootstrapHoldFull full)
    {
        _counters.CountBootstrapHoldFull();
        LogBootstrapHoldFull(run.Partition, full.SetVersion, full.HeldElements, full.AfterRunning.TotalMilliseconds);
    }

    private void Swapped(PartitionRun run, LiveRuleSet version, SwapResult swap)
    {
        _activeVersions[run] = version.Version;
        LogSwapped(run.Partition, version.Version, DateTimeOffset.FromUnixTimeMilliseconds(swap.SwappedAt), swap.KeptRules, swap.DroppedRules);
    }

    [LoggerMessage(EventId = LogEvents.LiveRulesSwapped, Level = LogLevel.Information, Message = "partition {Partition} matches under rule set version {Version} from {SwappedAt:O}: the states of {Kept} rules kept, of {Dropped} removed or changed rules dropped")]
    private partial void LogSwapped(int partition, long version, DateTimeOffset swappedAt, int kept, int dropped);

    [LoggerMessage(EventId = LogEvents.BootstrapDone, Level = LogLevel.Information, Message = "partition {Partition}: rule {RuleId} v{RuleVersion} of rule set version {SetVersion} bootstrapped over {From:O} – {Until:O}: {Read} records read, {Matched} in the look-back, {Alerts} alerts produced, the state of {Devices} devices handed over after catching up over {Held} live elements ({LiveAlerts} live alerts); it ran {ElapsedMs:F0} ms, the partition's other rules waited {WaitedMs:F0} ms")]
    private partial void LogBootstrapped(int partition, string ruleId, int ruleVersion, long setVersion, DateTimeOffset from, DateTimeOffset until, long read, long matched, int alerts, int devices, int held, int liveAlerts, double elapsedMs, double waitedMs);

    [LoggerMessage(EventId = LogEvents.BootstrapHoldFull, Level = LogLevel.Warning, Message = "partition {Partition}: the bootstrap of rule set version {SetVersion} holds {Held} live elements, alerting.rules.bootstrap.max-held-events, after {ElapsedMs:F0} ms: the partition waits for the hand-over")]
    private partial void LogBootstrapHoldFull(int partition, long setVersion, int held, double elapsedMs);

    [LoggerMessage(EventId = LogEvents.LiveRulesUnknownRulesVersion, Level = LogLevel.Warning, Message = "partition {Partition}'s checkpoint was taken under rule set version {Version}, unknown here: resuming under version {Instead}")]
    private partial void LogUnknownRulesVersion(int partition, long version, long instead);
}
