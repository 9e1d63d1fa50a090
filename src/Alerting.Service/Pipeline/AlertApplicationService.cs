using Akka.Actor;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The <c>run</c> verb's hosted service: runs the alert graph (<see cref="AlertGraph"/>) against the configured Kafka cluster until
/// the host stops, then drains (stop taking input, finish in-flight work, flush, checkpoint, commit). Alerts are
/// enriched from the configured device-config store (<c>alerting.persistence</c>), which is not seeded; the
/// matcher's checkpoints are kept in the same store's snapshots. Rule sets applied with <c>alertctl rules apply</c> are
/// read from the control topic before the graph starts and followed while it runs (<see cref="RuleControl"/>).
/// </summary>
public sealed partial class AlertApplicationService(
    ActorSystem system,
    AlertingSettings settings,
    Alerting.Rules.RuleSet rules,
    PipelineCounters counters,
    TimeProvider time,
    ServiceExit exit,
    IHostApplicationLifetime lifetime,
    Operations.NodeParts parts,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<AlertApplicationService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (string.IsNullOrWhiteSpace(settings.Kafka.BootstrapServers))
        {
            LogNoBootstrap();
            exit.Fail();
            lifetime.StopApplication();
            return;
        }

        if (!settings.Applications.Contains("alert"))
        {
            LogNotRunning();
            return;
        }

        LogStarting(settings.InstanceName, settings.Kafka.BootstrapServers);
        await using var ruleControl = new RuleControl(system, settings, rules, loggerFactory);
        try
        {
            await ruleControl.StartAsync(stoppingToken); // the latest rule-set version before the first event
            await using var application = AlertApplication.Create(system, settings, rules, counters, time, loggerFactory, ruleControl.Live);
            parts.AttachAlert(application);
            using var detach = new Operations.Detach(parts.DetachAlert);
            using var stopGraph = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
            var running = application.Graph.RunAsync(stopGraph.Token);
            if (await Task.WhenAny(running, ruleControl.Failed) != running)
            {
                await stopGraph.CancelAsync(); // drains with final checkpoints; the instance then exits 1
                await running;
                await ruleControl.Failed; // throws the follower's failure
            }

            await running;
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
#pragma warning disable CA1031 // any failure of the graph stops the instance with exit code 1; Kubernetes restarts it
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogFailed(ex);
            exit.Fail();
            lifetime.StopApplication();
            return;
        }

        LogStopped(counters.SummaryLine());
    }

    [LoggerMessage(EventId = LogEvents.AlertApplicationStarting, Level = LogLevel.Information, Message = "instance {Instance}: alert application joining {Bootstrap}")]
    private partial void LogStarting(string instance, string bootstrap);

    [LoggerMessage(EventId = LogEvents.AlertApplicationStopped, Level = LogLevel.Information, Message = "alert application stopped: {Summary}")]
    private partial void LogStopped(string summary);

    [LoggerMessage(EventId = LogEvents.AlertApplicationFailed, Level = LogLevel.Critical, Message = "alert application failed; stopping the instance")]
    private partial void LogFailed(Exception ex);

    [LoggerMessage(EventId = LogEvents.AlertApplicationNoBootstrap, Level = LogLevel.Critical, Message = "alerting:kafka:bootstrap-servers is empty: set it in the config file, KAFKA_BOOTSTRAP_SERVERS or alerting__kafka__bootstrap-servers")]
    private partial void LogNoBootstrap();

    [LoggerMessage(EventId = LogEvents.AlertApplicationNotRunning, Level = LogLevel.Information, Message = "alert application not configured on this instance (alerting.applications)")]
    private partial void LogNotRunning();
}
