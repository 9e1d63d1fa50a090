namespace Alerting.Service.Hosting;

/// <summary>
/// The service's command line: <c>[run|demo|dev-broker] [--config FILE] [--duration 20s] [--section:key=value ...]</c>.
/// Anything that is not a known verb or option is left for the configuration's command-line provider.
/// </summary>
public sealed record CommandLine(string Verb, string? ConfigFile, string? Duration, string[] ConfigurationArgs)
{
    /// <summary>The verbs the service knows.</summary>
    public static readonly IReadOnlyList<string> Verbs = ["run", "demo", "dev-broker"];

    public static CommandLine Parse(IReadOnlyList<string> args)
    {
        ArgumentNullException.ThrowIfNull(args);
        var verb = "run";
        string? config = null, duration = null;
        var rest = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (i == 0 && Verbs.Contains(a))
            {
                verb = a;
            }
            else if (a is "--config" or "-c")
            {
                config = Next(args, ref i, a);
            }
            else if (a == "--duration")
            {
                duration = Next(args, ref i, a);
            }
            else if (a.StartsWith("--duration=", StringComparison.Ordinal))
            {
                duration = a["--duration=".Length..];
            }
            else if (a is "--help" or "-h")
            {
                verb = "help";
            }
            else
            {
                rest.Add(a);
            }
        }

        return new CommandLine(verb, config, duration, [.. rest]);
    }

    private static string Next(IReadOnlyList<string> args, ref int i, string name) =>
        ++i < args.Count ? args[i] : throw new ArgumentException($"{name} needs a value");

    /// <summary>Usage text for <c>--help</c>.</summary>
    public const string Usage = """
        Akka.Alerting service

        usage: Alerting.Service [run|demo|dev-broker] [--config FILE] [--duration 20s] [--section:key=value ...]

          run          run the applications named in alerting.applications (default; config hocon/alerting.conf)
          demo         start the embedded broker and store, generate device events, run the pipeline and print
                       a live status line and a final summary line (config hocon/demo.conf)
          dev-broker   start the embedded Kafka-protocol broker, print bootstrap.servers=HOST:PORT, run until SIGTERM;
                       commands on its standard input inject faults (below)

          --config FILE         HOCON file to load instead of the verb's default
          --duration 20s        stop after this long (demo); 0s = until Ctrl-C / SIGTERM
          --alerting:a:b=value  override any setting (environment: alerting__a__b=value)
        """ + "\n\n" + DevBrokerControl.Help;
}
