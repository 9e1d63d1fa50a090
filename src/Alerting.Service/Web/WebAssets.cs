using System.Collections.Frozen;
using System.Reflection;
using System.Text;

namespace Alerting.Service.Web;

/// <summary>
/// The web view's files (HTML, CSS, JavaScript), shipped inside the service's assembly as embedded resources
/// (<c>Web/wwwroot/*</c>, named <c>web/&lt;file&gt;</c>): nothing is fetched from anywhere at run time. A page file
/// that starts with a <c>&lt;!-- title: … --&gt;</c> line holds only its content and is served inside
/// <c>layout.html</c> (head, navigation, script), put together once at start.
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

        if (files.Remove(LayoutFile, out var layoutBytes))
        {
            var layout = Encoding.UTF8.GetString(layoutBytes);
            layout = layout[(layout.IndexOf('\n', StringComparison.Ordinal) + 1)..]; // its own comment line
            foreach (var (name, bytes) in files.Where(f => f.Key.EndsWith(".html", StringComparison.Ordinal)).ToList())
            {
                var text = Encoding.UTF8.GetString(bytes);
                if (!text.StartsWith(TitlePrefix, StringComparison.Ordinal))
                {
                    continue;
                }

                var end = text.IndexOf('\n', StringComparison.Ordinal);
                var title = text[TitlePrefix.Length..text.LastIndexOf(" -->", end, StringComparison.Ordinal)];
                files[name] = Encoding.UTF8.GetBytes(layout
                    .Replace("{{title}}", title, StringComparison.Ordinal)
                    .Replace("{{page}}", name[..^".html".Length], StringComparison.Ordinal)
                    .Replace("{{content}}", text[(end + 1)..], StringComparison.Ordinal));
            }
        }

        return files.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private const string LayoutFile = "layout.html";
    private const string TitlePrefix = "<!-- title: ";
}
