using Alerting.Configuration;
using Alerting.Service.Hosting;

namespace Alerting.Service;

/// <summary>Entry point: <c>Alerting.Service [run|demo|dev-broker] …</c> (see <see cref="CommandLine.Usage"/>).</summary>
internal static class Program
{
    public static async Task<int> Main(string[] args)
    {
        CommandLine cmd;
        try
        {
            cmd = CommandLine.Parse(args);
        }
        catch (ArgumentException ex)
        {
            await Console.Error.WriteLineAsync(ex.Message);
            await Console.Error.WriteLineAsync(CommandLine.Usage);
            return 2;
        }

        if (cmd.Verb == "help")
        {
            Console.WriteLine(CommandLine.Usage);
            return 0;
        }

        try
        {
            return await ServiceHost.RunAsync(cmd, Console.Out, CancellationToken.None);
        }
        catch (Exception ex) when (ConfigurationError(ex) is { } error)
        {
            // A bad configuration stops start-up with the file, line and column, or the key.
            await Console.Error.WriteLineAsync("configuration error: " + error.Message);
            return 2;
        }
    }

    /// <summary>
    /// The configuration error behind <paramref name="ex"/>, if it is one: a HOCON syntax error (file, line,
    /// column), a missing file, a bad value or source definition (its path), or a refused rule set.
    /// </summary>
    private static Exception? ConfigurationError(Exception ex) => ex switch
    {
        HoconException or ConfigurationValueException or FileNotFoundException => ex,
        Alerting.Events.SourceConfigurationException or Alerting.Rules.RuleSetException => ex,
        _ => null,
    };
}
