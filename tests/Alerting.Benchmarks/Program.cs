using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Alerting.Benchmarks.Harness;
using Alerting.Kafka;
using BenchmarkDotNet.Running;

namespace Alerting.Benchmarks;

/// <summary>
/// <c>Alerting.Benchmarks [--quick] [--filter NAME] [--out DIR] [benchmark options]</c> runs the macro benchmarks
/// and writes <c>results.json</c> (the engine benchmark takes <c>--engine-rules N --engine-devices N
/// --engine-events N --engine-best-of N</c>); <c>Alerting.Benchmarks micro [BenchmarkDotNet args]</c> runs the micro benchmarks.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        if (args.Length > 0 && args[0] == "micro")
        {
            BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args[1..]);
            return 0;
        }

        var quick = args.Contains("--quick");
        var filter = ValueAfter(args, "--filter");
        var outDir = ValueAfter(args, "--out") ?? Path.Combine("artifacts", "bench");
        using var cts = new CancellationTokenSource();
        Console.CancelKeyPress += (_, e) => { e.Cancel = true; cts.Cancel(); };

        var context = new BenchContext(quick, Environment.GetEnvironmentVariable("ALERTING_TEST_POSTGRES"), Console.Error, args);
        var benchmarks = typeof(Program).Assembly.GetTypes()
            .Where(t => typeof(IMacroBenchmark).IsAssignableFrom(t) && t is { IsAbstract: false, IsInterface: false })
            .Select(t => (IMacroBenchmark)Activator.CreateInstance(t)!)
            .Where(b => filter is null || b.Name.Contains(filter, StringComparison.OrdinalIgnoreCase))
            .OrderBy(b => b.Name, StringComparer.Ordinal)
            .ToList();

        var results = new SortedDictionary<string, double>(StringComparer.Ordinal)
        {
            ["cores"] = Environment.ProcessorCount,
            ["quick"] = quick ? 1 : 0,
        };
        var failed = 0;
        foreach (var bench in benchmarks)
        {
            var sw = Stopwatch.StartNew();
            context.Log.WriteLine($"[bench] {bench.Name} ...");
            try
            {
                foreach (var (key, value) in await bench.RunAsync(context, cts.Token))
                {
                    results[key] = value;
                }
                context.Log.WriteLine($"[bench] {bench.Name} done in {sw.Elapsed.TotalSeconds:F1}s");
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                failed++;
                context.Log.WriteLine($"[bench] {bench.Name} failed: {ex}");
            }
        }

        // The figures, and beside them the librdkafka they were measured with (a text, not a figure).
        var document = new SortedDictionary<string, object>(StringComparer.Ordinal)
        {
            ["kafka_client_version"] = KafkaNative.Version,
        };
        foreach (var (key, value) in results)
        {
            document[key] = value;
        }

        Directory.CreateDirectory(outDir);
        var path = Path.Combine(outDir, "results.json");
        await File.WriteAllTextAsync(path, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }), cts.Token);

        Console.WriteLine($"{"key",-36} {"value",16}");
        Console.WriteLine($"{"kafka_client_version",-36} {KafkaNative.Version,16}");
        foreach (var (key, value) in results)
        {
            Console.WriteLine($"{key,-36} {value.ToString(value % 1 == 0 ? "N0" : "N3", CultureInfo.InvariantCulture),16}");
        }
        Console.WriteLine($"results written to {path}");
        return failed == 0 ? 0 : 1;
    }

    private static string? ValueAfter(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }
}
