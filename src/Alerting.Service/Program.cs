using Akka.Alerting.Configuration;
using Akka.Alerting.Service.Hosting;

namespace Akka.Alerting.Service;

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
        catch (Exception ex) when (ex is HoconParseException or ConfigurationValueException)
        {
            // A bad configuration stops start-up with the file, line and column, or the key.
            await Console.Error.WriteLineAsync("configuration error: " + ex.Message);
            return 2;
        }
    }
}
