using System.Runtime.InteropServices;
using Akka.Configuration;
using Akka.Hosting;
using Alerting.Configuration;
using Alerting.Kafka.Embedded;
using Alerting.Service.Demo;
using Alerting.Service.Operations;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>
/// Builds and runs the generic host for a verb. The host owns start and stop: Akka.Hosting builds the ActorSystem
/// from the merged HOCON; SIGTERM or Ctrl-C stops the application, the hosted services drain (stop taking input,
/// finish what is in flight, commit) and Akka's CoordinatedShutdown runs before exit.
/// </summary>
public static class ServiceHost
{
    /// <summary>Name of the service's ActorSystem.</summary>
    public const string ActorSystemName = "alerting";

    public static async Task<int> RunAsync(CommandLine cmd, TextWriter output, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(output);
        var configuration = ServiceConfiguration.Build(cmd.ConfigFile, cmd.Verb, cmd.ConfigurationArgs);
        var settings = AlertingSettings.Create(configuration);
        if (cmd.Duration is not null)
        {
            settings = settings.WithDemo(settings.Demo.WithDuration(HoconDuration.TryParse(cmd.Duration, out var duration) && duration >= TimeSpan.Zero
                ? duration
                : throw new ConfigurationValueException("--duration", cmd.Duration, HoconDuration.Expected)));
        }

        // The production profile refuses weak transport settings here (exit 2 naming the setting); development warns at start.
        var insecure = cmd.Verb == "run" ? TransportSecurity.Enforce(settings) : [];
        return cmd.Verb switch
        {
            "dev-broker" => await RunDevBrokerAsync(settings, output, cancellationToken),
            "demo" => await RunHostAsync(configuration, settings, output, demo: true, cancellationToken),
            _ => await RunHostAsync(configuration, settings, output, demo: false, cancellationToken, insecure),
        };
    }

    private static async Task<int> RunDevBrokerAsync(AlertingSettings settings, TextWriter output, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; cts.Cancel(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; cts.Cancel(); });
        var topics = settings.Kafka.Topics.All.Select(t => (t, settings.Kafka.Topics.PartitionsOf(t, settings.Demo.Partitions)));
        // Logs go to stderr; stdout carries the address line and the control channel's answers.
        using var logs = LoggerFactory.Create(b => b.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace));
        var logger = logs.CreateLogger("Alerting.Service.DevBroker");
        await DevBroker.RunAsync(settings.Demo.Brokers, topics, output, cts.Token,
            (cluster, ct) => Task.Run(() => DevBrokerControl.ServeAsync(cluster, Console.In, output, logger, ct), ct));
        return 0;
    }

    private static async Task<int> RunHostAsync(
        Config configuration, AlertingSettings settings, TextWriter output, bool demo, CancellationToken cancellationToken,
        IReadOnlyList<ConfigurationValueException>? insecure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.AddConsoleLogs(configuration);
        // Logs go to stderr: stdout carries the status and summary lines that scripts read.
        builder.Logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        builder.Logging.SetMinimumLevel(demo ? LogLevel.Warning : LogLevel.Information);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(30));
        builder.Services.AddSingleton(settings);
        // The ActorSystem of the service, from the same merged configuration; its logs go to the host's loggers.
        builder.Services.AddAkka(ActorSystemName, (akka, _) => akka
            .AddHocon(configuration, HoconAddMode.Prepend)
            .WithDispatchNode(configuration, settings, demo)
            .WithClusterFormation(configuration, settings, demo)
            .WithActors((system, _, resolver) => system.ActorOf(NodeViewActor.Props(resolver.GetService<NodeParts>()), NodeViewActor.Name))
            .ConfigureLoggers(loggers =>
            {
                loggers.ClearLoggers();
                loggers.AddLoggerFactory();
            }));
        builder.Services.AddSingleton(RuleSetLoader.Load(settings.Rules, settings.Sources));
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<PipelineCounters>();
        builder.Services.AddSingleton(new StatusOutput(output));
        var exit = new ServiceExit();
        builder.Services.AddSingleton(exit);
        builder.AddOperations(configuration, settings, demo);
        if (demo)
        {
            builder.Services.AddHostedService<DemoService>();
        }
        else
        {
            builder.Services.AddHostedService<AlertApplicationService>();
            builder.Services.AddHostedService<DispatchApplicationService>();
        }

        using var host = builder.Build();
        var hostLog = host.Services.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ServiceHost).FullName!);
        foreach (var finding in insecure ?? [])
        {
            HostLog.TransportInsecure(hostLog, settings.Profile, finding.Message);
        }

        var lifetime = host.Services.GetRequiredService<IHostApplicationLifetime>();
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; lifetime.StopApplication(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; lifetime.StopApplication(); });
        await host.RunAsync(cancellationToken);
        return exit.Code;
    }
}

/// <summary>Where the live status and summary lines go (stdout by default; a writer in tests).</summary>
public sealed record StatusOutput(TextWriter Writer);

/// <summary>The process exit code the hosted services decide: 0 unless a part failed.</summary>
public sealed class ServiceExit
{
    private int _code;

    public int Code => Volatile.Read(ref _code);

    /// <summary>Marks the run failed (exit code 1).</summary>
    public void Fail() => Volatile.Write(ref _code, 1);
}
