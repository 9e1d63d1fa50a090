namespace Alerting.Benchmarks.Harness;

/// <summary>
/// One macro benchmark of <c>./build.sh bench</c>: it measures a part of the service and the baseline it is
/// compared with in the same run, and returns numeric result keys (see README's benchmark section).
/// Implementations have a public parameterless constructor and are found by reflection.
/// </summary>
public interface IMacroBenchmark
{
    /// <summary>Short name, used by <c>--filter</c> and in the table.</summary>
    string Name { get; }

    /// <summary>Runs the benchmark and returns its result keys (e.g. <c>decode_events_per_sec</c>).</summary>
    Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken);
}

/// <summary>What a macro benchmark may use.</summary>
/// <param name="Quick">Tiny sizes for a smoke run (<c>--quick</c>): seconds, not minutes.</param>
/// <param name="PostgresConnectionString">Connection string of the PostgreSQL that <c>build.sh bench</c> started, if any.</param>
/// <param name="Log">Progress output (stderr).</param>
/// <param name="Arguments">The command line, for a benchmark's own options (<c>--engine-rules 200</c>).</param>
public sealed record BenchContext(bool Quick, string? PostgresConnectionString, TextWriter Log, IReadOnlyList<string>? Arguments = null)
{
    /// <summary>Picks the full or the quick size.</summary>
    public int Size(int full, int quick) => Quick ? quick : full;

    /// <summary>
    /// The integer after <paramref name="name"/> on the command line (underscores allowed: <c>1_000_000</c>),
    /// or <paramref name="otherwise"/> when it is not given.
    /// </summary>
    /// <exception cref="ArgumentException">The value is not a positive integer.</exception>
    public int Option(string name, int otherwise)
    {
        var args = Arguments ?? [];
        for (var i = 0; i < args.Count - 1; i++)
        {
            if (args[i] == name)
            {
                return int.TryParse(args[i + 1].Replace("_", "", StringComparison.Ordinal), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value > 0
                    ? value
                    : throw new ArgumentException($"{name} takes a positive integer, not '{args[i + 1]}'", nameof(name));
            }
        }

        return otherwise;
    }
}
