using Alerting.Configuration.Parsing;

namespace Alerting.Configuration;

/// <summary>
/// Reads HOCON (the configuration format of Akka) into a resolved, immutable, position-carrying tree.
/// Supported: objects and dotted keys, <c>=</c>/<c>:</c>/no separator before <c>{</c>, arrays, comments,
/// quoted, unquoted and triple-quoted strings, value concatenation, merging of repeated keys, <c>include</c> of
/// files (relative to the including file; a missing file is an error), <c>${path}</c> and <c>${?path}</c>
/// substitutions with environment variable fallback, self-references and <c>+=</c>.
/// Every error is a <see cref="HoconParseException"/> with the file, line and column.
/// </summary>
public static class HoconParser
{
    /// <summary>Parses HOCON text. <paramref name="sourceName"/> names the text in positions and error messages.</summary>
    public static HoconObject Parse(string text, string sourceName = "(string)", HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(sourceName);
        options ??= HoconParseOptions.Default;
        var baseDirectory = options.BaseDirectory ?? Directory.GetCurrentDirectory();
        return Build(text, sourceName, baseDirectory, fullPath: null, options);
    }

    /// <summary>
    /// Parses a HOCON file; includes are read relative to its folder. Positions name the file as
    /// <paramref name="path"/> was given. Throws <see cref="FileNotFoundException"/> if the file does not exist.
    /// </summary>
    public static HoconObject ParseFile(string path, HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var fullPath = System.IO.Path.GetFullPath(path);
        if (!File.Exists(fullPath))
        {
            throw new FileNotFoundException($"HOCON file not found: {path}", path);
        }

        return Build(File.ReadAllText(fullPath), path, System.IO.Path.GetDirectoryName(fullPath)!, fullPath, options ?? HoconParseOptions.Default);
    }

    internal static HoconObject Build(string text, string sourceName, string baseDirectory, string? fullPath, HoconParseOptions options)
    {
        var document = Parser.ParseDocument(text, sourceName);
        var merged = new TreeBuilder().Build(document, baseDirectory, sourceName, fullPath);
        return new Resolver(merged, options.EnvironmentVariables).ResolveDocument();
    }
}
