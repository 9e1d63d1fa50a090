using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using Alerting.Benchmarks.Harness;
using Alerting.Events;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// Decode throughput on one thread: seed-shaped records (~140 bytes, from <see cref="SeedEventGenerator"/>) decoded
/// into <see cref="DeviceEvent"/>s by the default source's <see cref="EventDecoder"/>, against the baseline of a
/// plain <see cref="Utf8JsonReader"/> scan reading every token of the same bytes, measured in the same run
/// (interleaved rounds after warm-up, median of rounds). Rates are per CPU-second of the measuring thread
/// (clock_gettime(CLOCK_THREAD_CPUTIME_ID) on Linux), so other load on the machine does not count against them;
/// the wall-clock decode rate is reported too.
/// </summary>
public sealed class DecodeBenchmark : IMacroBenchmark
{
    public string Name => "decode";

    public Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        return Task.Factory.StartNew(() => Run(context, cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static IReadOnlyDictionary<string, double> Run(BenchContext context, CancellationToken cancellationToken)
    {
        var count = context.Size(200_000, 20_000);
        var rounds = context.Size(7, 3);
        var minRoundSeconds = context.Quick ? 0.2 : 1.0;
        var generator = new SeedEventGenerator(42, new SeedEventOptions { Start = DateTimeOffset.UtcNow.AddHours(-1), MaxDisorder = TimeSpan.FromSeconds(2) });
        var records = generator.Take(count).Select(r => r.Value).ToArray();
        var decoder = new EventDecoder(new SourceDefinition(), TimeProvider.System);
        var origin = new RecordOrigin("device-events", 0, 0);

        long sink = 0;
        long Decode()
        {
            long ok = 0;
            foreach (var bytes in records)
            {
                var result = decoder.Decode(bytes, origin);
                if (result.IsOk)
                {
                    ok++;
                }
            }

            return ok;
        }

        long Scan()
        {
            long tokens = 0;
            foreach (var bytes in records)
            {
                var reader = new Utf8JsonReader(bytes);
                while (reader.Read())
                {
                    tokens++;
                }
            }

            return tokens;
        }

        if (Decode() != count)
        {
            throw new InvalidOperationException("some generated records did not decode");
        }

        // warm-up: let tiered compilation settle on both loops
        // (by CPU time of this thread, so a loaded machine still gives the JIT enough calls to tier up)
        var warmUntil = Now() + (context.Quick ? 1.0 : 3.0);
        while (Now() < warmUntil)
        {
            sink += Decode() + Scan();
        }

        var decodeRates = new List<double>();
        var decodeWallRates = new List<double>();
        var scanRates = new List<double>();
        long allocated = 0;
        long decoded = 0;
        for (var round = 0; round < rounds; round++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var before = GC.GetAllocatedBytesForCurrentThread();
            var (rate, wallRate, n) = Measure(Decode, count, minRoundSeconds, ref sink);
            decodeWallRates.Add(wallRate);
            allocated += GC.GetAllocatedBytesForCurrentThread() - before;
            decoded += n;
            decodeRates.Add(rate);
            scanRates.Add(Measure(Scan, count, minRoundSeconds, ref sink).Rate);
            context.Log.WriteLine($"[bench] decode round {round + 1}/{rounds}: decode {rate:N0}/cpu-s ({wallRate:N0}/wall-s), raw scan {scanRates[^1]:N0}/cpu-s");
        }

        var decodeRate = Median(decodeRates);
        var scanRate = Median(scanRates);
        GC.KeepAlive(sink);
        return new Dictionary<string, double>
        {
            ["decode_events_per_sec"] = Math.Round(decodeRate),
            ["raw_scan_events_per_sec"] = Math.Round(scanRate),
            ["decode_to_raw_scan_ratio"] = Math.Round(decodeRate / scanRate, 3),
            ["decode_events_per_wall_sec"] = Math.Round(Median(decodeWallRates)),
            ["decode_alloc_bytes_per_event"] = Math.Round((double)allocated / decoded, 1),
            ["decode_record_bytes_mean"] = Math.Round(records.Average(r => r.Length), 1),
        };
    }

    private static (double Rate, double WallRate, long Events) Measure(Func<long> pass, int perPass, double minSeconds, ref long sink)
    {
        long events = 0;
        var sw = Stopwatch.StartNew();
        var cpu0 = ThreadCpu.Seconds();
        var until = Now() + minSeconds;
        do
        {
            sink += pass();
            events += perPass;
        }
        while (Now() < until);

        var cpu = ThreadCpu.Seconds() - cpu0;
        var wall = sw.Elapsed.TotalSeconds;
        return (events / (cpu > 0 ? cpu : wall), events / wall, events);
    }

    /// <summary>Thread CPU seconds where available, else wall seconds.</summary>
    private static double Now() => ThreadCpu.Seconds() is var cpu && cpu > 0 ? cpu : Stopwatch.GetTimestamp() / (double)Stopwatch.Frequency;

    private static double Median(List<double> values)
    {
        values.Sort();
        return values[values.Count / 2];
    }
}

/// <summary>CPU time of the calling thread (Linux); 0 where unavailable, and callers then use wall time.</summary>
internal static class ThreadCpu
{
    private const int ClockThreadCpuTimeId = 3;

    public static double Seconds()
    {
        if (!OperatingSystem.IsLinux())
        {
            return 0;
        }

        return NativeMethods.clock_gettime(ClockThreadCpuTimeId, out var ts) == 0 ? ts.Seconds + (ts.Nanoseconds / 1e9) : 0;
    }

    [StructLayout(LayoutKind.Sequential)]
    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private static class NativeMethods
    {
        [DllImport("libc", EntryPoint = "clock_gettime")]
        [DefaultDllImportSearchPaths(DllImportSearchPath.SafeDirectories)]
        [System.Diagnostics.CodeAnalysis.SuppressMessage("Style", "IDE1006", Justification = "libc name")]
        public static extern int clock_gettime(int clockId, out TimeSpec ts);
    }
}
