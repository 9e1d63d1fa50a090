using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Alerting.Enrichment;
using Alerting.Kafka.Embedded;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Demo;

/// <summary>
/// The demo: starts the embedded broker, creates the topics, runs the device-event generator and the
/// pipeline, prints a live status line every <c>status-interval</c> and, on exit, the summary line.
/// Stops after <c>alerting.demo.duration</c> (or <c>--duration</c>), or on Ctrl-C / SIGTERM: the generator
/// stops first, then the pipeline drains what was produced, commits and closes. The device-config store
/// (embedded SQLite by default) is seeded with generated configurations for the demo's devices ("1".."N"),
/// whose overrides are the shipped rules' alert types; the status line ends with the lookup's cache counters.
/// Between the status lines, <see cref="DemoTap"/> prints a sample of the alerts and dispatches actually sent.
/// </summary>
public sealed partial class DemoService(
    ActorSystem system,
    AlertingSettings settings,
    Alerting.Rules.RuleSet rules,
    PipelineCounters counters,
    StatusOutput output,
    ServiceExit exit,
    TimeProvider time,
    IHostApplicationLifetime lifetime,
    Operations.NodeParts parts,
    Operations.AdminEndpoint admin,
    ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<DemoService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var demo = settings.Demo;
        await using var cluster = EmbeddedKafkaCluster.Start(demo.Brokers);
        foreach (var topic in settings.Kafka.Topics.All)
        {
            cluster.CreateTopic(topic, settings.Kafka.Topics.PartitionsOf(topic, demo.Partitions));
        }

        var kafka = settings.Kafka with { BootstrapServers = cluster.BootstrapServers };
        LogStarted(cluster.BootstrapServers, demo.Devices, demo.EventsPerSecond);

        // Status lines and the tap's sample lines share the output: one writer, synchronized.
        var writer = TextWriter.Synchronized(output.Writer);
        using var tapStop = new CancellationTokenSource();
        var tap = new DemoTap(kafka, demo.Partitions, writer, new DemoSample(initial: 3, every: TimeSpan.FromSeconds(5)), time, _log);
        var tapTask = tap.RunAsync(tapStop.Token);

        await using var application = AlertApplication.Create(system, settings with { Kafka = kafka }, rules, counters, time, loggerFactory);
        await application.Devices.Store.UpsertAsync(DeviceConfigGenerator.Generate(demo.Devices + 1, AlertTypes(rules), idPrefix: ""), stoppingToken);
        var lookup = application.Devices.Lookup;
        var pipeline = application.Graph;
        parts.UseKafka(kafka);
        parts.AttachAlert(application);
        using var detachAlert = new Operations.Detach(parts.DetachAlert);

        using var generatorStop = new CancellationTokenSource();
        using var pipelineStop = new CancellationTokenSource();
        var pipelineTask = pipeline.RunAsync(pipelineStop.Token);
        var dispatch = await DispatchApplication.StartAsync(system, settings, kafka.BootstrapServers, loggerFactory.CreateLogger("Alerting.Dispatch"), stoppingToken);
        parts.AttachDispatch(dispatch);
        using var detachDispatch = new Operations.Detach(parts.DetachDispatch);
        var generator = new DemoTraffic(demo, kafka, time);
        var generatorTask = generator.RunAsync(generatorStop.Token);

        var started = Stopwatch.StartNew();
        var webShown = false;
        using (var ticker = new PeriodicTimer(demo.StatusInterval, time))
        {
            try
            {
                while (await ticker.WaitForNextTickAsync(stoppingToken))
                {
                    counters.ObserveDispatched(dispatch.Counters.Dispatched);
                    await WriteStatusAsync(writer, started.Elapsed, generator.Produced, lookup, pipeline.CheckpointsTaken, stoppingToken);
                    if (!webShown && admin.Address is { } address)
                    {
                        // after the first status line, which stays the first line of the output
                        webShown = true;
                        await writer.WriteLineAsync($"web view: {address}/ui/alerts".AsMemory(), stoppingToken);
                    }

                    if (demo.Duration > TimeSpan.Zero && started.Elapsed >= demo.Duration)
                    {
                        lifetime.StopApplication();
                        break;
                    }

                    if (pipelineTask.IsCompleted || generatorTask.IsCompleted || dispatch.Completion.IsCompleted)
                    {
                        break;
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                // Ctrl-C / SIGTERM: fall through to the drain.
            }
        }

        // Drain: stop producing, let the pipeline take what was produced (bounded wait), then stop it.
        await generatorStop.CancelAsync();
        await AwaitQuietly(generatorTask);
        await pipeline.WaitForCatchUpAsync(generator.Produced, TimeSpan.FromSeconds(10), CancellationToken.None);
        await pipelineStop.CancelAsync();
        await AwaitQuietly(pipelineTask);
        await WaitForDispatcherAsync(dispatch, TimeSpan.FromSeconds(5));
        await AwaitQuietly(dispatch.StopAsync(TimeSpan.FromSeconds(10)));
        counters.ObserveDispatched(dispatch.Counters.Dispatched);
        await tapStop.CancelAsync();
        await AwaitQuietly(tapTask);

        await writer.WriteLineAsync(counters.SummaryLine().AsMemory(), CancellationToken.None);
        await writer.FlushAsync(CancellationToken.None);
        if (pipelineTask.IsFaulted || generatorTask.IsFaulted || dispatch.Completion.IsFaulted)
        {
            exit.Fail();
        }

        lifetime.StopApplication();
    }

    /// <summary>Gives the dispatcher a bounded moment to take the alerts produced last.</summary>
    private async Task WaitForDispatcherAsync(DispatchApplication dispatch, TimeSpan timeout)
    {
        var produced = counters.AlertsOut + counters.RevokesOut;
        var deadline = time.GetUtcNow() + timeout;
        while (dispatch.Counters.Received < produced && time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), time, CancellationToken.None);
        }
    }

    /// <summary>The distinct alert types of the rule set, in rule order (the generated devices' overrides).</summary>
    private static List<string> AlertTypes(Alerting.Rules.RuleSet rules) =>
        rules.Rules.Select(r => r.AlertType).Distinct(StringComparer.Ordinal).ToList();

    private async Task WriteStatusAsync(TextWriter writer, TimeSpan elapsed, long produced, DeviceConfigLookup lookup, long checkpoints, CancellationToken cancellationToken)
    {
        var cache = lookup.Cache.Statistics;
        var line = string.Create(
            CultureInfo.InvariantCulture,
            $"status t={elapsed.TotalSeconds:F0}s produced={produced} events_in={counters.EventsIn} alerts_out={counters.AlertsOut} revokes_out={counters.RevokesOut} dispatched={counters.Dispatched} dead_letter={counters.DeadLetter} late={counters.Late} lookup_hits={cache.Hits} lookup_misses={cache.Misses} checkpoints={checkpoints}");
        await writer.WriteLineAsync(line.AsMemory(), cancellationToken);
        await writer.FlushAsync(cancellationToken);
    }

    private async Task AwaitQuietly(Task task)
    {
        try
        {
            await task;
        }
        catch (OperationCanceledException)
        {
        }
#pragma warning disable CA1031 // the demo reports a failed part and still prints its summary
        catch (Exception ex)
#pragma warning restore CA1031
        {
            LogPartFailed(ex);
        }
    }

    [LoggerMessage(EventId = LogEvents.DemoStarted, Level = LogLevel.Information, Message = "demo: embedded broker at {Bootstrap}, {Devices} devices, {Rate} events/s")]
    private partial void LogStarted(string bootstrap, int devices, int rate);

    [LoggerMessage(EventId = LogEvents.DemoPartFailed, Level = LogLevel.Error, Message = "demo: a part of the pipeline failed")]
    private partial void LogPartFailed(Exception ex);
}
