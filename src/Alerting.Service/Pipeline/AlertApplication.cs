using Alerting.Rules;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The alert application of one instance: an <see cref="AlertPipeline"/> with its device-config lookup join and
/// its checkpoints, both over the configured store (<c>alerting.persistence</c>), which it owns and closes.
/// </summary>
public sealed class AlertApplication : IAsyncDisposable
{
    private readonly EventStoreSource _checkpoints;

    private AlertApplication(AlertPipeline pipeline, DeviceConfigSource devices, EventStoreSource checkpoints)
    {
        Pipeline = pipeline;
        Devices = devices;
        _checkpoints = checkpoints;
    }

    /// <summary>The pipeline (not started).</summary>
    public AlertPipeline Pipeline { get; }

    /// <summary>The device-config store and the lookup join over it.</summary>
    public DeviceConfigSource Devices { get; }

    /// <summary>Opens the stores named by <paramref name="settings"/> and creates the pipeline.</summary>
    public static AlertApplication Create(AlertingSettings settings, RuleSet rules, PipelineCounters counters, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var devices = DeviceConfigSource.Open(settings, time, loggerFactory);
        var checkpoints = EventStoreSource.Open(settings, time, "checkpoints");
        var pipeline = new AlertPipeline(settings, rules, counters, time, loggerFactory, devices.Lookup, new AlertCheckpointStore(checkpoints.Store, time));
        return new AlertApplication(pipeline, devices, checkpoints);
    }

    /// <summary>Closes both stores (the pipeline must have stopped).</summary>
    public async ValueTask DisposeAsync()
    {
        await _checkpoints.DisposeAsync();
        await Devices.DisposeAsync();
    }
}
