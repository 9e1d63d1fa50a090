using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>
/// The <c>run</c> verb's dispatch application: hosts the device entities of the alerts partitions this
/// instance owns until the host stops, then finishes the batch in flight and leaves the group.
/// </summary>
public sealed partial class DispatchApplicationService(
    AlertingSettings settings,
    PipelineCounters counters,
    TimeProvider time,
    ServiceExit exit,
    IHostApplicationLifetime lifetime,
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
        await using var app = DispatchApplication.Create(settings, settings.Kafka.BootstrapServers, time);
        app.Host.Start();
        try
        {
            await app.Host.Completion.WaitAsync(stoppingToken);
            // The host stopped by itself: fenced by a newer owner, or failed.
            LogHostEnded(app.Host.IsFenced);
            exit.Fail();
            lifetime.StopApplication();
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            await app.Host.StopAsync(CancellationToken.None);
        }

        counters.ObserveDispatched(app.Host.Counters.Dispatched);
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Information, Message = "instance {Instance}: dispatch application starting (journal: {Provider})")]
    private partial void LogStarting(string instance, string provider);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Critical, Message = "dispatch host ended on its own (fenced: {Fenced}); stopping the instance")]
    private partial void LogHostEnded(bool fenced);
}
