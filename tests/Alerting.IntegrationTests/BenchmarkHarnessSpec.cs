using System.Diagnostics;
using System.Text.Json;

namespace Alerting.IntegrationTests;

/// <summary>
/// <c>./build.sh bench --quick</c> at tiny sizes, so the harness cannot rot. It checks that every macro
/// benchmark ran and wrote its result keys, and that the pipeline raised one alert per injected scenario;
/// it asserts no speed.
/// </summary>
public sealed class BenchmarkHarnessSpec : IDisposable
{
    private readonly string _out = Directory.CreateTempSubdirectory("alerting-bench").FullName;

    public void Dispose() => Directory.Delete(_out, recursive: true);

    [Fact]
    public async Task Bench_quick_must_run_every_macro_benchmark_and_write_results_json()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "Alerting.Benchmarks.dll"), "--quick", "--out", _out })
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(8));
        await process.WaitForExitAsync(cts.Token);

        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}\n{await stdout}\n{await stderr}");
        using var results = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_out, "results.json"), cts.Token));
        var root = results.RootElement;
        foreach (var key in new[]
                 {
                     "cores", "decode_events_per_sec", "raw_scan_events_per_sec", "journal_append_per_sec", "raw_copy_per_sec",
                     "replay_events_per_sec", "dispatch_alerts_per_sec", "pipeline_events_per_sec", "pipeline_events_per_cpu_sec",
                     "passthrough_events_per_sec", "engine_events_per_sec", "engine_events_per_cpu_sec",
                     "bytes_per_active_device", "bytes_per_idle_device", "pipeline_alerts", "pipeline_patterns_injected",
                     "latency_p50_ms", "latency_p99_ms", "latency_rate_events_per_sec", "latency_alerts", "latency_quarter_rate_p50_ms", "latency_quarter_rate_p99_ms",
                     "latency_alerts_expected", "latency_alerts_missing", "latency_quarter_rate_alerts_missing",
                     "engine_bytes_allocated_per_event", "engine_rules_touched_per_event",
                 })
        {
            Assert.True(root.TryGetProperty(key, out var value), $"results.json lacks {key}:\n{root}");
            Assert.True(value.GetDouble() >= 0, key);
        }

        Assert.Equal(Alerting.Kafka.KafkaNative.Version, root.GetProperty("kafka_client_version").GetString());
        Assert.True(root.GetProperty("pipeline_events_per_sec").GetDouble() > 0);
        Assert.True(root.GetProperty("pipeline_patterns_injected").GetDouble() > 0);
        Assert.Equal(root.GetProperty("pipeline_patterns_injected").GetDouble(), root.GetProperty("pipeline_alerts").GetDouble());
        Assert.True(root.GetProperty("latency_alerts").GetDouble() > 0);
        Assert.Contains("results written to", await stdout, StringComparison.Ordinal);
    }
}
