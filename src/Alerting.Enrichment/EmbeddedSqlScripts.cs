using System.Collections.Concurrent;
using System.Reflection;
using System.Text;

namespace Alerting.Enrichment;

/// <summary>
/// Reads the SQL an assembly ships as embedded resources (<c>Sql/&lt;backend&gt;/*.sql</c>). A query file holds
/// named statements, each introduced by a line <c>-- name: some_name</c>; a schema file is run whole.
/// </summary>
public sealed class EmbeddedSqlScripts
{
    private readonly ConcurrentDictionary<string, IReadOnlyDictionary<string, string>> _cache = new();
    private readonly Assembly _assembly;
    private readonly string _resourcePrefix;

    /// <summary>
    /// Scripts embedded in <paramref name="assembly"/> under <paramref name="resourcePrefix"/>, the manifest name
    /// of the <c>Sql</c> folder with its trailing dot, e.g. <c>Alerting.Enrichment.Sql.</c>.
    /// </summary>
    public EmbeddedSqlScripts(Assembly assembly, string resourcePrefix)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        ArgumentNullException.ThrowIfNull(resourcePrefix);
        _assembly = assembly;
        _resourcePrefix = resourcePrefix;
    }

    /// <summary>The whole text of an embedded file, e.g. <c>Postgres/schema.sql</c>.</summary>
    public string File(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var name = _resourcePrefix + relativePath.Replace('/', '.');
        using var stream = _assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"Embedded SQL resource {name} is missing.");
        using var reader = new StreamReader(stream, Encoding.UTF8);
        return reader.ReadToEnd();
    }

    /// <summary>The named statements of an embedded query file, parsed once per path.</summary>
    public IReadOnlyDictionary<string, string> Queries(string relativePath) =>
        _cache.GetOrAdd(relativePath, p => Parse(File(p)));

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
