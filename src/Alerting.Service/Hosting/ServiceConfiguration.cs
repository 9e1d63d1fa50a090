using Alerting.Configuration;
using Microsoft.Extensions.Configuration;

namespace Alerting.Service.Hosting;

/// <summary>
/// Builds the service's configuration the Akka way, layered the .NET way: <c>reference.conf</c> (every default)
/// is always the fallback; the verb's file (<c>alerting.conf</c>, <c>demo.conf</c>, or <c>--config FILE</c>)
/// overrides it; environment variables (<c>alerting__kafka__bootstrap-servers</c>) and command-line arguments
/// (<c>--alerting:kafka:bootstrap-servers=…</c>) override both.
/// </summary>
public static class ServiceConfiguration
{
    /// <summary>Folder of the shipped HOCON files, next to the service binary.</summary>
    public static string HoconDirectory => Path.Combine(AppContext.BaseDirectory, "hocon");

    /// <summary>The default file of a verb.</summary>
    public static string DefaultFileFor(string verb) =>
        Path.Combine(HoconDirectory, verb == "demo" ? "demo.conf" : "alerting.conf");

    public static IConfigurationRoot Build(string? configFile, string verb, IEnumerable<string> args)
    {
        var builder = new ConfigurationBuilder()
            .AddHoconFile(Path.Combine(HoconDirectory, "reference.conf"), optional: false)
            .AddHoconFile(Path.GetFullPath(configFile ?? DefaultFileFor(verb)), optional: false)
            .AddEnvironmentVariables()
            .AddCommandLine([.. args]);
        return builder.Build();
    }
}
