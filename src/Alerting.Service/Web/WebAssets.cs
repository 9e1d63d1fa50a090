using System.Collections.Frozen;
using System.Reflection;

namespace Alerting.Service.Web;

/// <summary>
/// The web view's files (HTML, CSS, JavaScript), shipped inside the service's assembly as embedded resources
/// (<c>Web/wwwroot/*</c>, named <c>web/&lt;file&gt;</c>): nothing is fetched from anywhere at run time.
/// </summary>
public static class WebAssets
{
    private static readonly FrozenDictionary<string, byte[]> Files = Load();

    /// <summary>The file names shipped.</summary>
    public static IEnumerable<string> Names => Files.Keys;

    /// <summary>The bytes of <paramref name="name"/> (e.g. <c>alerts.html</c>), or null.</summary>
    public static byte[]? Get(string name) => Files.GetValueOrDefault(name);

    /// <summary>The content type of a shipped file.</summary>
    public static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };

    private static FrozenDictionary<string, byte[]> Load()
    {
        var assembly = typeof(WebAssets).Assembly;
        var files = new Dictionary<string, byte[]>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith("web/", StringComparison.Ordinal)))
        {
            using var stream = assembly.GetManifestResourceStream(resource)!;
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            files[resource["web/".Length..]] = copy.ToArray();
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }
}
