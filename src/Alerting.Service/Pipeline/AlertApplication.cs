using Akka.Actor;
using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert application of one instance: an <see cref="AlertGraph"/> with its device-config lookup join and
/// its checkpoints, both over the configured store (<c>alerting.persistence</c>), which it owns and closes.
/// </summary>
public sealed class AlertApplication : IAsyncDisposable
{
    private readonly EventStoreSource _checkpoints;

    private AlertApplication(AlertGraph graph, DeviceConfigSource devices, EventStoreSource checkpoints)
    {
        Graph = graph;
        Devices = devices;
        _checkpoints = checkpoints;
    }

    /// <summary>The graph (not running).</summary>
    public AlertGraph Graph { get; }

    /// <summary>The device-config store and the lookup join over it.</summary>
    public DeviceConfigSource Devices { get; }

    /// <summary>
    /// Opens the stores named by <paramref name="settings"/> and creates the graph, materialized in <paramref name="system"/>;
    /// its partitions follow the rule-set versions of <paramref name="live"/> (<see cref="RuleControl.Live"/>), or keep
    /// <paramref name="rules"/> without it.
    /// </summary>
    public static AlertApplication Create(ActorSystem system, AlertingSettings settings, RuleSet rules, PipelineCounters counters, TimeProvider time, ILoggerFactory loggerFactory, Alerting.Rules.Live.LiveRuleSets? live = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var devices = DeviceConfigSource.Open(settings, time, loggerFactory);
        var checkpoints = EventStoreSource.Open(settings, time, "checkpoints");
        var graph = new AlertGraph(system, settings, rules, counters, time, loggerFactory, devices.Lookup, new AlertCheckpointStore(checkpoints.Store, time), live);
        return new AlertApplication(graph, devices, checkpoints);
    }

    /// <summary>Closes both stores (the graph must have stopped).</summary>
    public async ValueTask DisposeAsync()
    {
        await _checkpoints.DisposeAsync();
        await Devices.DisposeAsync();
    }
}
