using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Alerting.Reliability;

/// <summary>Command-line options of the suite.</summary>
public sealed record Options(bool Quick, string Output, string LogRoot, int Seed, IReadOnlySet<int> Only);

/// <summary>
/// <c>Alerting.Reliability [--quick] [--out DIR] [--only 6,10]</c>: runs the reliability and security scenarios
/// against the real service in child processes (the dev broker, service nodes, the private PostgreSQL named by
/// <c>ALERTING_TEST_POSTGRES</c>), prints a table and writes <c>results.json</c>. Exit 0 when every scenario that
/// ran passed, 1 otherwise.
/// </summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        var quick = args.Contains("--quick");
        var output = Value(args, "--out") ?? Path.Combine("artifacts", "reliability");
        var only = (Value(args, "--only") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries).Select(int.Parse).ToHashSet();
        var server = Environment.GetEnvironmentVariable("ALERTING_TEST_POSTGRES");
        if (string.IsNullOrEmpty(server))
        {
            await Console.Error.WriteLineAsync("ALERTING_TEST_POSTGRES is not set: run it through ./build.sh reliability");
            return 2;
        }

        output = Path.GetFullPath(output);
        var logRoot = Path.Combine(output, "logs");
        if (Directory.Exists(logRoot))
        {
            Directory.Delete(logRoot, recursive: true);
        }

        Directory.CreateDirectory(logRoot);
        var options = new Options(quick, output, logRoot, Seed: 20261205, only);
        var canaries = Canaries.Create();
        var log = TextWriter.Synchronized(Console.Out);
        var scenarios = new Scenarios(options, server, canaries, log);
        // A guard against a hung scenario, not the target (quick runs in about 5 minutes, full in about 15).
        using var cts = new CancellationTokenSource(quick ? TimeSpan.FromMinutes(8) : TimeSpan.FromMinutes(25));
        var started = DateTime.UtcNow;
        var results = new List<Result>();

        async Task Run(int number, string name, Func<CancellationToken, Task<Result>> scenario)
        {
            if (only.Count > 0 && !only.Contains(number))
            {
                results.Add(Result.NotRun(number, name, "left out by --only"));
                return;
            }

            var t0 = DateTime.UtcNow;
            log.WriteLine($"[reliability] scenario {number}: {name}");
            Result result;
            try
            {
                result = await scenario(cts.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                result = new Result(number, name);
                result.Check(false, $"the scenario broke off: {ex.GetType().Name}: {ex.Message}");
            }

            result.Figures["seconds"] = Math.Round((DateTime.UtcNow - t0).TotalSeconds, 1);
            log.WriteLine($"[reliability] scenario {number}: {result.Status} {string.Join("; ", result.Failures)}");
            results.Add(result);
        }

        await Run(12, "transport security under alerting.profile", scenarios.TransportSecurityAsync);
        await Run(6, "bad input (12 kinds)", scenarios.BadInputAsync);
        await Run(10, "SIGTERM: drain, commit, restart", scenarios.SigtermAsync);
        await Run(1, "SIGKILL of a node under load, three nodes", scenarios.SigkillAsync);
        await Run(7, "disorder within the bound", scenarios.DisorderAsync);
        await Run(8, "one device's clock 4 minutes fast", scenarios.FastClockAsync);
        if (!quick)
        {
            await Run(3, "injected Produce/Fetch/OffsetCommit errors (mock cluster request errors)", scenarios.RequestErrorsAsync);
            await Run(2, "all brokers down for 30 s, then back", scenarios.BrokersDownAsync);
            await Run(4, "rebalances: a node joins and leaves mid-stream", scenarios.RebalanceAsync);
            await Run(5, "PostgreSQL stopped for 30 s, then slow", scenarios.PostgresDownAsync);
            await Run(9, "many distinct device ids (scaled)", scenarios.ManyDevicesAsync);
        }
        else
        {
            results.Add(Result.NotRun(3, "injected Produce/Fetch/OffsetCommit errors (mock cluster request errors)", "full run only (about 1.5 minutes)"));
            results.Add(Result.NotRun(2, "all brokers down for 30 s, then back", "full run only (about 1.5 minutes)"));
            results.Add(Result.NotRun(4, "rebalances: a node joins and leaves mid-stream", "full run only (about 3 minutes)"));
            results.Add(Result.NotRun(5, "PostgreSQL stopped for 30 s, then slow", "full run only (about 2.5 minutes)"));
            results.Add(Result.NotRun(9, "many distinct device ids (scaled)", "full run only (about 3 minutes)"));
        }

        await Run(11, "secrets never written", _ => Task.FromResult(scenarios.Secrets(canaries.All)));
        results.Sort((a, b) => a.Number.CompareTo(b.Number));

        Print(results);
        await Write(Path.Combine(output, "results.json"), results, quick, DateTime.UtcNow - started);
        return results.Any(r => r.Status == "failed") ? 1 : 0;
    }

    private static string? Value(string[] args, string name)
    {
        var i = Array.IndexOf(args, name);
        return i >= 0 && i + 1 < args.Length ? args[i + 1] : null;
    }

    private static readonly string[] Columns =
    [
        "expected", "distinct_delivered", "lost", "raw_duplicates", "duplicate_ids_with_different_content", "recovery_seconds",
        "dispatch_distinct_delivered", "dispatch_lost", "dispatch_raw_duplicates", "dispatch_duplicate_ids_with_different_content",
    ];

    private static void Print(List<Result> results)
    {
        Console.WriteLine();
        Console.WriteLine($"{"#",-3}{"scenario",-48}{"status",-8}" + string.Concat(Columns.Select(c => $" {Short(c),9}")));
        foreach (var r in results)
        {
            var name = r.Name.Length > 46 ? r.Name[..46] : r.Name;
            Console.WriteLine($"{r.Number,-3}{name,-48}{r.Status,-8}" + string.Concat(Columns.Select(c => $" {(r.Figures.TryGetValue(c, out var v) && v is not null ? Convert.ToString(v, CultureInfo.InvariantCulture) : "-"),9}")));
            foreach (var failure in r.Failures)
            {
                Console.WriteLine($"     failed: {failure}");
            }
        }
    }

    private static string Short(string column) => column
        .Replace("dispatch_", "d.", StringComparison.Ordinal)
        .Replace("duplicate_ids_with_different_content", "dupdiff", StringComparison.Ordinal)
        .Replace("distinct_delivered", "distinct", StringComparison.Ordinal)
        .Replace("raw_duplicates", "rawdup", StringComparison.Ordinal)
        .Replace("recovery_seconds", "recov_s", StringComparison.Ordinal);

    private static async Task Write(string path, List<Result> results, bool quick, TimeSpan took)
    {
        var scenarios = new JsonArray();
        foreach (var r in results)
        {
            var row = new JsonObject
            {
                ["scenario"] = r.Number,
                ["name"] = r.Name,
                ["status"] = r.Status,
            };
            if (r.Reason is not null)
            {
                row["reason"] = r.Reason;
            }

            if (r.Failures.Count > 0)
            {
                row["failures"] = new JsonArray([.. r.Failures.Select(f => (JsonNode)f)]);
            }

            foreach (var (key, value) in r.Figures)
            {
                row[key] = value switch
                {
                    null => null,
                    int i => JsonValue.Create(i),
                    long l => JsonValue.Create(l),
                    double d => JsonValue.Create(d),
                    bool b => JsonValue.Create(b),
                    _ => JsonValue.Create(Convert.ToString(value, CultureInfo.InvariantCulture)),
                };
            }

            scenarios.Add(row);
        }

        var doc = new JsonObject
        {
            ["mode"] = quick ? "quick" : "full",
            ["seconds"] = Math.Round(took.TotalSeconds, 1),
            ["scenarios"] = scenarios,
        };
        await File.WriteAllTextAsync(path, doc.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
        Console.WriteLine($"results: {path}");
    }
}
