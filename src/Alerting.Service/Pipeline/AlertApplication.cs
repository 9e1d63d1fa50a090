using Akka.Actor;
using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert application of one instance: an <see cref="AlertGraph"/> with its device-config lookup join and
/// its checkpoints: the lookup over the configured device store, which it owns and closes, the checkpoints in the
/// ActorSystem's checkpoint store (<see cref="AlertCheckpointPersistence"/>).
/// </summary>
public sealed class AlertApplication : IAsyncDisposable
{
    private AlertApplication(AlertGraph graph, DeviceConfigSource devices)
    {
        Graph = graph;
        Devices = devices;
    }

    /// <summary>The graph (not running).</summary>
    public AlertGraph Graph { get; }

    /// <summary>The device-config store and the lookup join over it.</summary>
    public DeviceConfigSource Devices { get; }

    /// <summary>
    /// Opens the device store named by <paramref name="settings"/> and creates the graph, materialized in <paramref name="system"/>;
    /// its partitions follow the rule-set versions of <paramref name="live"/> (<see cref="RuleControl.Live"/>), or keep
    /// <paramref name="rules"/> without it.
    /// </summary>
    public static AlertApplication Create(ActorSystem system, AlertingSettings settings, RuleSet rules, PipelineCounters counters, TimeProvider time, ILoggerFactory loggerFactory, Alerting.Rules.Live.LiveRuleSets? live = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var devices = DeviceConfigSource.Open(settings, time, loggerFactory);
        var graph = new AlertGraph(system, settings, rules, counters, time, loggerFactory, devices.Lookup, new AlertCheckpointStore(system, time), live);
        return new AlertApplication(graph, devices);
    }

    /// <summary>Closes the device store (the graph must have stopped).</summary>
    public ValueTask DisposeAsync() => Devices.DisposeAsync();
}
