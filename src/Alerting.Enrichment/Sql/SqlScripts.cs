using System.Collections.Concurrent;
using System.Text;

namespace Akka.Alerting.Enrichment.Sql;

/// <summary>
/// Reads the SQL shipped as embedded resources (<c>Sql/&lt;backend&gt;/*.sql</c>). A query file holds named
/// statements, each introduced by a line <c>-- name: some_name</c>; a schema file is run whole.
/// </summary>
internal static class SqlScripts
{
    private static readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> Cache = new();

    /// <summary>The whole text of an embedded file, e.g. <c>Postgres/schema.sql</c>.</summary>
    public static string File(string relativePath)
    {
        var name = "Akka.Alerting.Enrichment.Sql." + relativePath.Replace('/', '.');
        using var stream = typeof(SqlScripts).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded SQL resource {name} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The named statements of an embedded query file.</summary>
    public static IReadOnlyDictionary<string, string> Queries(string relativePath) =>
        Cache.GetOrAdd(relativePath, static p => Parse(File(p)));

    private static Dictionary<string, string> Parse(string text)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        var body = new StringBuilder();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.StartsWith("-- name:", StringComparison.Ordinal))
            {
                Flush();
                name = line["-- name:".Length..].Trim();
                continue;
            }
            if (name is not null && !line.TrimStart().StartsWith("--", StringComparison.Ordinal))
            {
                body.AppendLine(line);
            }
        }
        Flush();
        return result;

        void Flush()
        {
            if (name is not null)
            {
                result[name] = body.ToString().Trim().TrimEnd(';');
            }
            body.Clear();
        }
    }
}
