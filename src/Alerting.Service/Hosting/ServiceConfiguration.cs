using System.Collections;
using System.Text;
using Akka.Configuration;
using Alerting.Configuration;

namespace Alerting.Service.Hosting;

/// <summary>
/// Builds the service's configuration, one Akka <see cref="Config"/>, from four layers, each over the next:
/// command-line arguments (<c>--alerting:kafka:bootstrap-servers=…</c>), environment variables
/// (<c>alerting__kafka__bootstrap-servers=…</c>), the verb's file (<c>alerting.conf</c>, <c>demo.conf</c>, or
/// <c>--config FILE</c>) and <c>reference.conf</c> (every default). An override's key is a HOCON path written with
/// <c>:</c> (arguments) or <c>__</c> (environment) between its parts, case as in HOCON; its value is a string, or a
/// HOCON array or object when it starts with <c>[</c> or <c>{</c>.
/// </summary>
public static class ServiceConfiguration
{
    private static readonly string[] OverrideRoots = ["alerting", "akka"];

    /// <summary>Folder of the shipped HOCON files, next to the service binary.</summary>
    public static string HoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    /// <summary>The default file of a verb.</summary>
    public static string DefaultFileFor(string verb) =>
        Path.Combine(HoconDirectory, verb == "demo" ? "demo.conf" : "alerting.conf");

    /// <summary>The merged configuration of a verb: arguments over environment over the file over reference.conf.</summary>
    /// <param name="configFile">The <c>--config</c> file, or null for the verb's default.</param>
    /// <param name="verb">run, demo or dev-broker.</param>
    /// <param name="args">Configuration arguments (<c>--section:key=value</c>, <c>--section:key value</c> or <c>section:key=value</c>).</param>
    /// <param name="environment">Environment variables, for overrides and the files' substitutions; the process's when null.</param>
    public static Config Build(string? configFile, string verb, IEnumerable<string> args, IDictionary? environment = null)
    {
        ArgumentNullException.ThrowIfNull(args);
        var env = environment ?? Environment.GetEnvironmentVariables();
        string? Variable(string name) => ServiceConfiguration.Variable(env, name);
        var reference = HoconDocument.Load(Path.Combine(HoconDirectory, "reference.conf"), Variable).Config;
        var file = HoconDocument.Load(Path.GetFullPath(configFile ?? DefaultFileFor(verb)), Variable).Config;
        var fromEnvironment = EnvironmentOverrides(env);
        Config[] layers = [Overrides(CommandLineOverrides(args)), Overrides(fromEnvironment), file, reference];
        return layers.Where(layer => !layer.IsEmpty).Aggregate((over, under) => over.WithFallback(under));
    }

    /// <summary>Suffix of a variable naming a file that holds the value of the variable without it (a mounted secret).</summary>
    public const string FileSuffix = "_FILE";

    /// <summary>
    /// The value of variable <paramref name="name"/>, or, when it is not set and <c>NAME_FILE</c> is, the content of
    /// that file (one trailing line break removed): <c>ALERTING_POSTGRES_FILE=/run/secrets/pg</c> serves
    /// <c>${?ALERTING_POSTGRES}</c>. A variable set directly wins over its file. A file that cannot be read stops
    /// start-up naming the variable and the path, never the content. Only variables the configuration asks for are
    /// read, so unrelated <c>*_FILE</c> variables of the environment are left alone.
    /// </summary>
    public static string? Variable(IDictionary environment, string name)
    {
        ArgumentNullException.ThrowIfNull(environment);
        ArgumentNullException.ThrowIfNull(name);
        if (environment[name] is string value)
        {
            return value;
        }

        return environment[name + FileSuffix] is string { Length: > 0 } path ? ReadSecret(name + FileSuffix, path) : null;
    }

    private static string ReadSecret(string variable, string path)
    {
        string content;
        try
        {
            content = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new ConfigurationValueException(variable, path, "a readable file holding the value of " + variable[..^FileSuffix.Length]);
        }

        return content.EndsWith("\r\n", StringComparison.Ordinal) ? content[..^2] : content.EndsWith('\n') ? content[..^1] : content;
    }

    /// <summary>
    /// The overrides of the environment: <c>alerting__…</c> and <c>akka__…</c> variables, and <c>alerting__…_FILE</c> /
    /// <c>akka__…_FILE</c> ones read from their file (a variable set directly wins over its file).
    /// </summary>
    private static IEnumerable<(string Name, string[] Path, string Value)> EnvironmentOverrides(IDictionary env)
    {
        var names = env.Keys.OfType<string>()
            .Where(name => OverrideRoots.Any(root => name.StartsWith(root + "__", StringComparison.Ordinal)))
            .Select(name => name.EndsWith(FileSuffix, StringComparison.Ordinal) ? name[..^FileSuffix.Length] : name)
            .Distinct(StringComparer.Ordinal)
            .Order(StringComparer.Ordinal);
        foreach (var name in names)
        {
            yield return (name, name.Split("__"), Variable(env, name) ?? "");
        }
    }

    /// <summary>The overrides of the command line, in order; a later one wins.</summary>
    private static IEnumerable<(string Name, string[] Path, string Value)> CommandLineOverrides(IEnumerable<string> args)
    {
        var list = args.ToList();
        for (var i = 0; i < list.Count; i++)
        {
            var arg = list[i];
            var key = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : arg.StartsWith('/') ? arg[1..] : arg;
            string value;
            var eq = key.IndexOf('=', StringComparison.Ordinal);
            if (eq >= 0)
            {
                (key, value) = (key[..eq], key[(eq + 1)..]);
            }
            else if (key.Length < arg.Length && i + 1 < list.Count)
            {
                value = list[++i];
            }
            else
            {
                throw new ConfigurationValueException(arg, null, "a setting written --section:key=value");
            }

            yield return (arg, key.Split(':'), value);
        }
    }

    /// <summary>One <see cref="Config"/> of <paramref name="overrides"/>; a later one wins.</summary>
    private static Config Overrides(IEnumerable<(string Name, string[] Path, string Value)> overrides)
    {
        Config? merged = null;
        foreach (var (name, path, value) in overrides)
        {
            if (path.Any(string.IsNullOrWhiteSpace))
            {
                throw new ConfigurationValueException(name, value, "a setting whose path has no empty part");
            }

            var text = new StringBuilder();
            text.AppendJoin('.', path.Select(Quote)).Append(" = ");
            text.Append(value.TrimStart() is ['[' or '{', ..] ? value : Quote(value));
            Config one;
            try
            {
                one = HoconDocument.Parse(text.ToString(), name, environment: _ => null).Config;
            }
            catch (HoconException ex)
            {
                throw new ConfigurationValueException(name, value, "a string, or a HOCON array or object: " + ex.Detail);
            }

            merged = merged is null ? one : one.WithFallback(merged);
        }

        return merged ?? Config.Empty;
    }

    private static string Quote(string text)
    {
        var quoted = new StringBuilder("\"");
        foreach (var c in text)
        {
            _ = c switch
            {
                '"' or '\\' => quoted.Append('\\').Append(c),
                '\n' => quoted.Append("\\n"),
                '\r' => quoted.Append("\\r"),
                '\t' => quoted.Append("\\t"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }
}
