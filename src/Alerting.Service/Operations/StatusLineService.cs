using System.Diagnostics;
using System.Globalization;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Operations;

/// <summary>
/// <c>run</c>'s status line on stdout every <c>alerting.status-interval</c> (off with 0s and in JSON-log mode):
/// <c>status t=…s events_in=… alerts_out=… revokes_out=… dispatched=… dead_letter=… late=… lookup_hits=…
/// lookup_misses=… checkpoints=…</c>, the demo's line without its generator's <c>produced=</c>. Read from the same
/// counters as the demo's line and the metrics.
/// </summary>
public sealed class StatusLineService(AdminSettings settings, PipelineCounters counters, NodeParts parts, StatusOutput output, TimeProvider time, ILoggerFactory loggerFactory) : BackgroundService
{
    private readonly ILogger _log = loggerFactory.CreateLogger<StatusLineService>();

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (settings.StatusInterval <= TimeSpan.Zero)
        {
            return;
        }

        var started = Stopwatch.StartNew();
        using var ticker = new PeriodicTimer(settings.StatusInterval, time);
        try
        {
            while (await ticker.WaitForNextTickAsync(stoppingToken))
            {
                try
                {
                    await output.Writer.WriteLineAsync(Line(started.Elapsed).AsMemory(), stoppingToken);
                    await output.Writer.FlushAsync(stoppingToken);
                }
                catch (IOException ex)
                {
                    OperationsLog.StatusFailed(_log, ex);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>The status line at <paramref name="elapsed"/> since start.</summary>
    public string Line(TimeSpan elapsed)
    {
        if (parts.Dispatch is { } dispatch)
        {
            counters.ObserveDispatched(dispatch.Counters.Dispatched);
        }

        var cache = parts.Lookup?.Cache.Statistics;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"status t={elapsed.TotalSeconds:F0}s events_in={counters.EventsIn} alerts_out={counters.AlertsOut} revokes_out={counters.RevokesOut} dispatched={counters.Dispatched} dead_letter={counters.DeadLetter} late={counters.Late} lookup_hits={cache?.Hits ?? 0} lookup_misses={cache?.Misses ?? 0} checkpoints={parts.Graph?.CheckpointsTaken ?? 0}");
    }
}
