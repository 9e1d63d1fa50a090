using Akka.Configuration;
using Alerting.Rules;
using Alerting.Service.Settings;
using Alerting.Service.Web;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Operations;

/// <summary>The host's wiring of the admin endpoint, health, metrics and the status line.</summary>
public static class OperationsHosting
{
    /// <summary>
    /// Registers the node's parts registry, health, the admin endpoint (a hosted service: register it before the
    /// applications, so it answers while they start and drain) and, for <c>run</c>, the status line.
    /// </summary>
    /// <param name="builder">The service's host builder.</param>
    /// <param name="configuration">The merged configuration (<c>alerting.admin</c>, <c>alerting.status-interval</c>, <c>alerting.log-format</c>).</param>
    /// <param name="settings">The service's settings (which applications run).</param>
    /// <param name="demo">True for the demo, which runs both applications and prints its own status line.</param>
    public static HostApplicationBuilder AddOperations(this HostApplicationBuilder builder, Config configuration, AlertingSettings settings, bool demo)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(settings);
        var admin = AdminSettings.Create(configuration);
        var services = builder.Services;
        services.AddSingleton(admin);
        services.AddSingleton(sp =>
        {
            var parts = new NodeParts(sp.GetRequiredService<FeedHub>());
            parts.Configure(demo ? ["alert", "dispatch"] : settings.Applications);
            parts.AttachRules(sp.GetRequiredService<RuleSet>());
            parts.UseKafka(settings.Kafka);
            return parts;
        });
        services.AddSingleton(sp => new FeedHub(sp.GetService<TimeProvider>() ?? TimeProvider.System));
        services.AddSingleton<NodeHealth>();
        services.AddSingleton<AdminRoutes, HealthRoutes>();
        services.AddSingleton<KafkaLagReader>();
        services.AddSingleton<ServiceMetrics>();
        services.AddSingleton<AdminRoutes, MetricsRoutes>();
        services.AddSingleton<AdminRoutes, OperationsApi>();
        services.AddSingleton<AdminRoutes, WebRoutes>();
        services.AddSingleton<AdminEndpoint>();
        services.AddHostedService(sp => sp.GetRequiredService<AdminEndpoint>());
        if (!demo)
        {
            services.AddHostedService<StatusLineService>();
        }

        return builder;
    }

    /// <summary>
    /// Console logs on stderr, one line each: JSON with <c>alerting.log-format = json</c>, text otherwise. ASP.NET Core's
    /// own categories log from Warning up: its per-request lines would log every probe and scrape of the admin endpoint.
    /// </summary>
    public static void AddConsoleLogs(this ILoggingBuilder logging, Config configuration)
    {
        ArgumentNullException.ThrowIfNull(logging);
        logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        if (AdminSettings.Create(configuration).JsonLogs)
        {
            logging.AddJsonConsole(o => o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ");
        }
        else
        {
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "HH:mm:ss "; });
        }
    }
}
