using Akka.Actor;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>
/// The <c>run</c> verb's dispatch application: runs the device shard region of this cluster node, fed from the
/// alerts partitions this instance reads, until the host stops; then stops taking records, commits what the entities
/// persisted and leaves the group. A dispatcher that fails for good stops the instance with a non-zero exit code.
/// </summary>
public sealed partial class DispatchApplicationService(
    AlertingSettings settings,
    PipelineCounters counters,
    ActorSystem system,
    ServiceExit exit,
    IHostApplicationLifetime lifetime,
    Operations.NodeParts parts,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<DispatchApplicationService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!settings.Applications.Contains("dispatch") || string.IsNullOrWhiteSpace(settings.Kafka.BootstrapServers))
        {
            return;
        }

        LogStarting(settings.InstanceName, settings.Persistence.Provider);
        DispatchApplication app;
        try
        {
            app = await DispatchApplication.StartAsync(system, settings, settings.Kafka.BootstrapServers, loggerFactory.CreateLogger("Alerting.Dispatch"), stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            return;
        }
#pragma warning disable CA1031 // a dispatcher that cannot start stops the instance, with the reason logged
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogStartFailed(ex);
            exit.Fail();
            lifetime.StopApplication();
            return;
        }

        parts.AttachDispatch(app);
        using var detach = new Operations.Detach(parts.DetachDispatch);

        try
        {
            await app.Completion.WaitAsync(stoppingToken);
            // The dispatcher stopped by itself: it gave up restarting.
            LogEnded();
            exit.Fail();
            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await app.StopAsync(TimeSpan.FromSeconds(10));
        }
#pragma warning disable CA1031 // the failure is logged and turns into the exit code
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(ex);
            exit.Fail();
            lifetime.StopApplication();
        }

        counters.ObserveDispatched(app.Counters.Dispatched);
    }

    [LoggerMessage(EventId = LogEvents.DispatchApplicationStarting, Level = LogLevel.Information, Message = "instance {Instance}: dispatch application starting (journal: {Provider})")]
    private partial void LogStarting(string instance, string provider);

    [LoggerMessage(EventId = LogEvents.DispatchApplicationEnded, Level = LogLevel.Critical, Message = "the dispatcher ended on its own; stopping the instance")]
    private partial void LogEnded();

    [LoggerMessage(EventId = LogEvents.DispatchApplicationFailed, Level = LogLevel.Critical, Message = "the dispatcher failed; stopping the instance")]
    private partial void LogFailed(Exception ex);

    [LoggerMessage(EventId = LogEvents.DispatchApplicationStartFailed, Level = LogLevel.Critical, Message = "the dispatcher could not start; stopping the instance")]
    private partial void LogStartFailed(Exception ex);
}
