using Akka;
using Akka.Actor;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Operations;

/// <summary>
/// The node's admin HTTP endpoint on Kestrel (<c>alerting.admin</c>): <c>/health/live</c>, <c>/health/ready</c> and
/// the routes the <see cref="AdminRoutes"/> add, behind <see cref="AdminAuth"/>. It starts with the host, before the
/// applications, so probes answer while they start; it stays up while they drain (readiness turns false as soon as
/// the host stops) and stops in CoordinatedShutdown's <c>before-actor-system-terminate</c> phase, after the node has
/// left the cluster (or when the host is disposed, whichever comes first).
/// </summary>
public sealed class AdminEndpoint(
    AdminSettings settings,
    ActorSystem system,
    IEnumerable<AdminRoutes> routes,
    ILoggerFactory loggerFactory) : IHostedService, IAsyncDisposable
{
    private readonly ILogger _log = loggerFactory.CreateLogger<AdminEndpoint>();
    private WebApplication? _app;

    /// <summary>The endpoint's address for a browser on this machine (<c>http://host:port</c>), null until started or when disabled.</summary>
    public string? Address => Port == 0 ? null
        : $"http://{(settings.Bind.Equals(System.Net.IPAddress.Any) || settings.Bind.Equals(System.Net.IPAddress.IPv6Any) ? "127.0.0.1" : settings.Bind.ToString())}:{Port}";

    /// <summary>The port the endpoint listens on (0 until started, or when disabled).</summary>
    public int Port { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (!settings.Enabled)
        {
            return;
        }

        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { ApplicationName = "alerting-admin" });
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o => o.Listen(settings.Bind, settings.Port));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(loggerFactory);
        var app = builder.Build();
        app.Use(async (context, next) =>
        {
            var request = context.Request;
            if (Web.WebSession.TryStartFromQuery(settings, context))
            {
                return; // ?token= on a page: the session cookie is set and the browser sent back to the page without it
            }

            var access = AdminAuth.Decide(
                settings,
                request.Method,
                request.Path.Value ?? "/",
                request.Headers.Authorization.ToString() is { Length: > 0 } h ? h : null,
                request.Cookies[AdminAuth.SessionCookie]);
            if (access == AdminAccess.Unauthorized && Web.WebSession.IsPage(request))
            {
                context.Response.Redirect("/ui/login?next=" + Uri.EscapeDataString(request.Path.Value ?? "/"));
                return;
            }

            if (access != AdminAccess.Allowed)
            {
                var reason = access == AdminAccess.Unauthorized
                    ? "a bearer token is required (Authorization: Bearer <token>)"
                    : "no admin token is configured on this node (alerting.admin.token-file or alerting.admin.token-env): state-changing calls are refused";
                OperationsLog.AdminRefused(_log, request.Method, request.Path.Value ?? "/", reason);
                context.Response.StatusCode = access == AdminAccess.Unauthorized ? StatusCodes.Status401Unauthorized : StatusCodes.Status403Forbidden;
                if (access == AdminAccess.Unauthorized)
                {
                    context.Response.Headers.WWWAuthenticate = "Bearer";
                }

                await context.Response.WriteAsJsonAsync(new AdminError(reason), context.RequestAborted);
                return;
            }

            try
            {
                await next(context);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
            {
                OperationsLog.AdminFailed(_log, request.Method, request.Path.Value ?? "/", ex);
                if (!context.Response.HasStarted)
                {
                    // Kafka or the cluster did not answer in time: the caller may retry; anything else is a fault.
                    context.Response.StatusCode = ex is Akka.Actor.AskTimeoutException or TimeoutException or Confluent.Kafka.KafkaException
                        ? StatusCodes.Status503ServiceUnavailable
                        : StatusCodes.Status500InternalServerError;
                    await context.Response.WriteAsJsonAsync(new AdminError(ex.Message), context.RequestAborted);
                }
            }
        });

        foreach (var route in routes)
        {
            route.Map(app);
        }

        await app.StartAsync(cancellationToken);
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()?.Addresses.FirstOrDefault();
        Port = address is not null && Uri.TryCreate(address, UriKind.Absolute, out var uri) ? uri.Port : settings.Port;
        OperationsLog.AdminListening(_log, settings.Bind.ToString(), Port, settings.Token is null ? "not set" : "required");
        CoordinatedShutdown.Get(system).AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-admin-endpoint", async () =>
        {
            await StopServerAsync();
            return Done.Instance;
        });
    }

    /// <summary>The host stopping does not stop the endpoint: CoordinatedShutdown does, once the node left the cluster.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public async ValueTask DisposeAsync() => await StopServerAsync();

    /// <summary>Stops the server once; a later call (CoordinatedShutdown, then the host's disposal) finds nothing to stop.</summary>
    private async Task StopServerAsync()
    {
        if (Interlocked.Exchange(ref _app, null) is not { } app)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
            await app.StopAsync(timeout.Token);
            await app.DisposeAsync();
            OperationsLog.AdminStopped(_log);
        }
        catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or IOException)
        {
            OperationsLog.AdminStopFailed(_log, ex);
        }
    }
}

/// <summary>A set of routes of the admin endpoint (health, metrics, the JSON API).</summary>
public abstract class AdminRoutes
{
    /// <summary>Adds the routes to <paramref name="app"/>.</summary>
    public abstract void Map(WebApplication app);
}

/// <summary>The body of a refused or failed admin request.</summary>
/// <param name="Error">What went wrong.</param>
public sealed record AdminError(string Error);

/// <summary><c>GET /health/live</c> and <c>GET /health/ready</c>: 200 with the report when it holds, 503 otherwise.</summary>
public sealed class HealthRoutes(NodeHealth health) : AdminRoutes
{
    public override void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/health/live", () => Answer(health.Live()));
        app.MapGet("/health/ready", () => Answer(health.Ready()));
    }

    private static IResult Answer(HealthReport report) =>
        Results.Json(report, statusCode: report.Ok ? StatusCodes.Status200OK : StatusCodes.Status503ServiceUnavailable);
}
