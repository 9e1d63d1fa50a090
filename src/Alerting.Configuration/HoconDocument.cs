using System.Globalization;
using System.Text.RegularExpressions;
using Akka.Configuration;
using Akka.Configuration.Hocon;

namespace Alerting.Configuration;

/// <summary>
/// A HOCON file or text read into Akka's <see cref="Akka.Configuration.Config"/>, with the positions of its values.
/// Before Akka's parser reads it, the text is checked (a syntax error is a <see cref="HoconException"/> with the
/// file, line and column) and its <c>${?NAME}</c> / <c>${NAME}</c> substitutions that name no setting of the text
/// are taken from the environment. <c>include "file"</c> reads a file relative to the including one; its
/// substitutions are resolved within the included file.
/// </summary>
public sealed partial class HoconDocument
{
    private readonly Dictionary<string, (HoconPosition Position, bool Quoted)> _values;

    private HoconDocument(Config config, string name, Dictionary<string, (HoconPosition, bool)> values)
    {
        Config = config;
        Name = name;
        _values = values;
    }

    /// <summary>The parsed configuration.</summary>
    public Config Config { get; }

    /// <summary>The file path (as given) or the name of the text, as positions show it.</summary>
    public string Name { get; }

    /// <summary>Where the value at <paramref name="path"/> starts (dotted, array items by index: <c>rules.0.params</c>), or the start of the text if unknown.</summary>
    public HoconPosition PositionOf(string path) =>
        _values.TryGetValue(path, out var v) ? v.Position : new HoconPosition(Name, 1, 1);

    /// <summary>Whether the value at <paramref name="path"/> is written as one quoted string (<c>"5"</c> rather than <c>5</c>).</summary>
    public bool IsQuoted(string path) => _values.TryGetValue(path, out var v) && v.Quoted;

    /// <summary>Reads a HOCON file; throws <see cref="FileNotFoundException"/> if it does not exist, <see cref="HoconException"/> if it does not parse.</summary>
    /// <param name="path">The file; positions name it as given.</param>
    /// <param name="environment">Looks up environment variables for substitutions; the process environment when null.</param>
    public static HoconDocument Load(string path, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        var full = Path.GetFullPath(path);
        if (!File.Exists(full))
        {
            throw new FileNotFoundException($"HOCON file not found: {path}", path);
        }

        return Read(File.ReadAllText(full), path, Path.GetDirectoryName(full)!, environment ?? Environment.GetEnvironmentVariable, [full]);
    }

    /// <summary>Reads HOCON text; includes are read relative to <paramref name="baseDirectory"/> (the current folder when null).</summary>
    /// <param name="text">The HOCON text.</param>
    /// <param name="name">The name of the text in positions and messages.</param>
    /// <param name="baseDirectory">Folder of included files.</param>
    /// <param name="environment">Looks up environment variables for substitutions; the process environment when null.</param>
    public static HoconDocument Parse(string text, string name = "(string)", string? baseDirectory = null, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Read(text, name, baseDirectory ?? Directory.GetCurrentDirectory(), environment ?? Environment.GetEnvironmentVariable, []);
    }

    private static HoconDocument Read(string text, string name, string directory, Func<string, string?> environment, HashSet<string> including)
    {
        var scanner = new HoconScanner(text, name);
        scanner.Scan();
        var resolved = scanner.ResolveEnvironment(environment);
        HoconRoot Include(string file)
        {
            var full = Path.GetFullPath(file, directory);
            if (!File.Exists(full))
            {
                throw new HoconException(new HoconPosition(name, 1, 1), $"included file not found: {file}");
            }

            if (!including.Add(full))
            {
                throw new HoconException(new HoconPosition(name, 1, 1), $"include cycle through {file}");
            }

            var included = Read(File.ReadAllText(full), Path.Combine(Path.GetDirectoryName(name) ?? "", file), Path.GetDirectoryName(full)!, environment, including);
            including.Remove(full);
            return new HoconRoot(included.Config.Root, []);
        }

        try
        {
            return new HoconDocument(ConfigurationFactory.ParseString(resolved, Include), name, scanner.Values);
        }
        catch (HoconException)
        {
            throw;
        }
        catch (Exception ex) when (ex is FormatException or ConfigurationException or InvalidOperationException || ex.GetType() == typeof(Exception))
        {
            // Akka's parser gives a character offset at best ("Unknown token at position 15").
            var offset = AkkaOffset().Match(ex.Message) is { Success: true } m ? int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
            var detail = ex.Message.Split('\n')[0].Trim();
            throw new HoconException(scanner.PositionOf(offset), detail, ex);
        }
    }

    [GeneratedRegex(@"at position (\d+)")]
    private static partial Regex AkkaOffset();
}
