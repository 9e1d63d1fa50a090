using System.Globalization;
using System.Text;

namespace Alerting.Reliability;

/// <summary>Scenario 9: many distinct device ids.</summary>
public sealed partial class Scenarios
{
    /// <summary>
    /// 9. Many distinct device ids, scaled: two waves of <c>perWave</c> new devices each send one fault 101 (the rule
    /// <c>ab</c> keeps a partial match for each until its 1-minute window has passed the watermark; no alert), the
    /// second wave after the first's window has passed, with the usual pairs running throughout. The service has no
    /// device-count cap: its state is bounded in time (rule windows, <c>open-alert-ttl</c>, entity passivation). The
    /// node's RSS is sampled: the first wave's growth per device is an upper bound of the state per device, and if
    /// expired state is released the second wave reuses the memory instead of adding as much again.
    /// </summary>
    public async Task<Result> ManyDevicesAsync(CancellationToken ct)
    {
        var perWave = options.Quick ? 20_000 : 100_000;
        const int Rate = 10_000;
        var result = new Result(9, $"many distinct device ids (scaled: {2 * perWave:N0}, not a million)");
        await using var rig = await RigAsync("09-many-devices", ct);
        var node = rig.StartNode(0);
        await rig.WaitReadyAsync(0, Ready, ct);
        var traffic = new Traffic(rig, EventsTopic, "s9");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var peaks = new long[1];
        var sampling = SampleResidentPeaksAsync([node], peaks, stop.Token);
        var running = traffic.RunAsync(0, 20, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(8), ct);
        var baseline = node.ResidentBytes() ?? 0;
        Interlocked.Exchange(ref peaks[0], baseline);

        var t0 = DateTime.UtcNow;
        await WaveAsync(rig, 20_000_000, perWave, Rate, ct);
        var waveSeconds = (DateTime.UtcNow - t0).TotalSeconds;
        // The wave's partial matches live until the 1-minute window and the 5 s out-of-orderness have passed.
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        var peak1 = Interlocked.Read(ref peaks[0]);
        await Task.Delay(TimeSpan.FromSeconds(60), ct);
        var afterExpiry = node.ResidentBytes() ?? 0;
        await WaveAsync(rig, 20_000_000 + perWave, perWave, Rate, ct);
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        var peak2 = Interlocked.Read(ref peaks[0]);
        await stop.CancelAsync();
        await running;
        await sampling;
        var counts = await OutcomeAsync(rig, traffic, ct);
        result.Record(counts);
        TraceLost(rig, counts);
        const double Mb = 1024 * 1024;
        var perDevice = (peak1 - baseline) / (double)perWave;
        result.Figures["distinct_devices"] = 2 * perWave;
        result.Figures["wave_rate_per_second"] = Math.Round(perWave / waveSeconds);
        result.Figures["rss_baseline_mb"] = Math.Round(baseline / Mb, 1);
        result.Figures["rss_peak_wave1_mb"] = Math.Round(peak1 / Mb, 1);
        result.Figures["rss_after_expiry_mb"] = Math.Round(afterExpiry / Mb, 1);
        result.Figures["rss_peak_wave2_mb"] = Math.Round(peak2 / Mb, 1);
        result.Figures["bytes_per_device_upper_bound"] = Math.Round(perDevice);
        result.Figures["extrapolated_mb_for_a_million_at_once"] = Math.Round(perDevice * 1_000_000 / Mb);
        var late = Outcome.ReadAll(rig.BootstrapServers, "device-events-late").Count;
        result.Figures["late_events"] = late;
        result.Check(late == 0, $"{late} events went to the late topic");
        // Unbounded state would add the first wave's growth again; released state lets the second wave reuse it.
        result.Check(peak2 - baseline < 1.5 * (peak1 - baseline) + 32 * Mb,
            $"the second wave grew the node to {peak2 / Mb:0} MB from {peak1 / Mb:0} MB (baseline {baseline / Mb:0} MB): expired device state was not released");
        result.Check(!node.HasExited, "the node exited");
        await rig.ScrapeMetricsAsync(0, ct);
        result.Check(await node.TerminateAsync(TimeSpan.FromSeconds(60), ct) == 0, "the node did not exit 0 on SIGTERM");
        return result;
    }

    /// <summary>One fault 101 from each of <paramref name="count"/> new devices from <paramref name="first"/> on, <paramref name="rate"/> a second.</summary>
    private static async Task WaveAsync(Rig rig, int first, int count, int rate, CancellationToken ct)
    {
        var started = DateTime.UtcNow;
        var n = 0;
        while (n < count)
        {
            var due = Math.Min(count, (int)((DateTime.UtcNow - started).TotalSeconds * rate) + 1);
            var now = DateTimeOffset.UtcNow;
            for (; n < due; n++)
            {
                var device = (first + n).ToString(CultureInfo.InvariantCulture);
                rig.Produce(EventsTopic, device, Encoding.UTF8.GetBytes(Traffic.Event("Fault", 101, now, $"s9-{device}", device)));
            }

            await Task.Delay(20, ct);
        }

        rig.Producer.Flush(TimeSpan.FromSeconds(60));
    }
}
