using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Storage;
using Alerting.Rules.Templates;
using Alerting.Rules.Trial;
using Alerting.Service.Operations;
using Alerting.Service.Settings;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Alerting.Service.Web;

/// <summary>
/// The web view on the admin endpoint: the pages (<c>/ui/alerts</c>, <c>/ui/device</c>, <c>/ui/rules</c>,
/// <c>/ui/cluster</c>, <c>/ui/login</c>) from <see cref="WebAssets"/>, and what only they read:
/// <c>GET /api/feed/stream</c> (Server-Sent Events: every 250 ms one message with a sample of the new feed entries
/// matching the filter, at most <see cref="SampleSize"/>, how many matched, how many the reader missed, and the alerts
/// per rule over 15 minutes), <c>GET /api/feed/rates</c> (per rule and second over 15 minutes),
/// <c>GET /api/feed/devices/{id}</c> (a device's recent history and its partition's watermark; starts keeping the
/// device's source events; with <c>matcher</c>, what the match stages of every member hold for it: partial matches,
/// absence timers, open alerts, events awaiting the watermark), <c>GET /api/rules</c> (the rule set in force, per partition the live version) and
/// <c>POST /api/rules/test</c> (the rule set, or pasted rules, tried on pasted events by <see cref="RuleTrial"/>).
/// The cluster page reads the existing <c>/api/*</c> routes.
/// </summary>
public sealed partial class WebRoutes(Akka.Actor.ActorSystem system, FeedHub hub, NodeParts parts, AlertingSettings settings, AdminSettings admin, ILoggerFactory loggerFactory) : AdminRoutes
{
    /// <summary>The most feed entries one Server-Sent Events message carries.</summary>
    public const int SampleSize = 40;

    /// <summary>How often the stream sends.</summary>
    public static readonly TimeSpan Batch = TimeSpan.FromMilliseconds(250);

    /// <summary>Streams open at once on this node; more are refused with 503.</summary>
    public const int MaxStreams = 32;

    /// <summary>The largest pasted sample (events plus rules) a rule test takes.</summary>
    public const int MaxTrialBytes = 1 << 20;

    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower) },
    };

    private static readonly string[] Pages = ["alerts", "device", "rules", "cluster", "login"];
    private readonly ILogger _log = loggerFactory.CreateLogger<WebRoutes>();
    private int _streams;

    public override void Map(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.MapGet("/", () => Results.Redirect("/ui/alerts"));
        app.MapGet("/ui", () => Results.Redirect("/ui/alerts"));
        app.MapGet("/ui/{file}", (string file) => Asset(file));
        app.MapPost("/ui/login", (Delegate)LoginAsync);
        app.MapGet("/api/feed/stream", StreamAsync);
        app.MapGet("/api/feed/rates", Rates);
        app.MapGet("/api/feed/devices/{id}", (string id, CancellationToken ct) => DeviceAsync(id, ct));
        app.MapGet("/api/rules", RulesInForce);
        app.MapPost("/api/rules/test", (Delegate)TryRulesAsync);
    }

    /// <summary>Whether <paramref name="id"/> can be a device id: 1–256 bytes of letters, digits and <c>-_.:@</c>.</summary>
    public static bool IsDeviceId(string? id) =>
        id is { Length: > 0 and <= 256 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.' or ':' or '@');

    private static IResult Asset(string file)
    {
        var name = Pages.Contains(file, StringComparer.Ordinal) ? file + ".html" : file;
        return WebAssets.Get(name) is { } bytes
            ? Results.Bytes(bytes, WebAssets.ContentType(name))
            : Results.NotFound();
    }

    private async Task<IResult> LoginAsync(HttpContext context)
    {
        var form = await context.Request.ReadFormAsync(context.RequestAborted);
        var next = WebSession.SafeNext(form["next"].ToString());
        if (admin.Token is null)
        {
            return Results.Redirect(next); // no token on this node: it serves reads on loopback only, without a session
        }

        if (!AdminAuth.IsToken(admin, form["token"].ToString()))
        {
            LogLoginRefused(context.Connection.RemoteIpAddress?.ToString() ?? "?");
            return Results.Redirect("/ui/login?failed=1&next=" + Uri.EscapeDataString(next));
        }

        WebSession.Start(admin, context.Response);
        return Results.Redirect(next);
    }

    private async Task StreamAsync(HttpContext context, string? rule, string? device, string? kind)
    {
        if (Interlocked.Increment(ref _streams) > MaxStreams)
        {
            Interlocked.Decrement(ref _streams);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            await context.Response.WriteAsJsonAsync(new AdminError($"at most {MaxStreams} live feeds are served at once"), context.RequestAborted);
            return;
        }

        try
        {
            var filter = new FeedFilter(Blank(rule), Blank(device), ParseKinds(kind));
            var stopping = context.RequestServices.GetRequiredService<IHostApplicationLifetime>().ApplicationStopping;
            using var done = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, stopping);
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            context.Response.Headers["X-Accel-Buffering"] = "no";
            var position = Math.Max(0, hub.Published - SampleSize); // start with the last few entries
            using var timer = new PeriodicTimer(Batch);
            do
            {
                var batch = hub.Read(position, filter, SampleSize);
                position = batch.Next;
                var message = new
                {
                    items = batch.Items,
                    matched = batch.Matched,
                    missed = batch.Missed,
                    dropped = hub.Dropped,
                    perRule = hub.Totals(),
                };
                var json = JsonSerializer.Serialize(message, Json);
                await context.Response.WriteAsync("data: " + json + "\n\n", done.Token);
                await context.Response.Body.FlushAsync(done.Token);
            }
            while (await timer.WaitForNextTickAsync(done.Token));
        }
        catch (OperationCanceledException)
        {
            // the browser went away, or the node stops: the stream ends
        }
        finally
        {
            Interlocked.Decrement(ref _streams);
        }
    }

    private IResult Rates()
    {
        var (end, perRule) = hub.Rates();
        return Results.Json(new { endSecond = end, seconds = (int)FeedHub.RateWindow.TotalSeconds, perRule }, Json);
    }

    /// <summary>How long the device route waits for each member to say what its match stages hold (each stage has <see cref="NodeViewActor.StageTimeout"/>).</summary>
    public static readonly TimeSpan InspectTimeout = TimeSpan.FromSeconds(3);

    private async Task<IResult> DeviceAsync(string id, CancellationToken cancellationToken)
    {
        if (!IsDeviceId(id))
        {
            return Results.Json(new AdminError("a device id is 1 to 256 letters, digits or -_.:@"), statusCode: StatusCodes.Status400BadRequest);
        }

        hub.Watch(id);
        var history = hub.History(id);
        var partition = history.LastOrDefault(i => i.Partition is not null)?.Partition;
        var disorder = settings.Sources.Count > 0 ? settings.Sources[0].MaxOutOfOrderness : TimeSpan.Zero;
        long? watermark = partition is { } p && hub.MaxEventTime(p) is { } max ? max - (long)disorder.TotalMilliseconds : null;
        var nodes = await NodeViewActor.InspectClusterAsync(system, id, InspectTimeout).WaitAsync(cancellationToken);
        var matcher = new
        {
            nodes = nodes.Count,
            nodesUnanswered = nodes.Where(n => n.View is null).Select(n => new { address = n.Address, error = n.Error }),
            asked = nodes.Sum(n => n.View?.Asked ?? 0),
            unanswered = nodes.Sum(n => n.View?.Unanswered ?? 0),
            partitions = nodes.Where(n => n.View is not null).SelectMany(n => n.View!.Held.Select(h => new
            {
                node = n.Address,
                partition = h.Partition,
                watermark = h.State.Watermark,
                rulesVersion = h.State.RulesVersion,
                awaitingWatermark = h.State.AwaitingWatermark,
                partialMatches = h.State.PartialMatches,
                absenceTimers = h.State.AbsenceTimers,
                openAlerts = h.State.OpenAlerts,
                stateBytes = h.State.StateBytes,
            })),
        };

        return Results.Json(new { deviceId = id, partition, watermark, history, matcher }, Json);
    }

    private IResult RulesInForce()
    {
        if (parts.Rules is not { } rules)
        {
            return Results.Json(new AdminError("no rule set is loaded on this node"), statusCode: StatusCodes.Status409Conflict);
        }

        var parameters = ParametersOf(settings.Rules.File);
        var totals = hub.Totals();
        return Results.Json(
            new
            {
                version = rules.Version,
                file = Path.GetFileName(settings.Rules.File),
                partitions = parts.Graph?.ActiveRuleVersions.OrderBy(kv => kv.Key).Select(kv => new { partition = kv.Key, version = kv.Value }),
                rules = rules.Rules.Select(r => new
                {
                    id = r.Id,
                    version = r.Version,
                    template = r.Template,
                    @operator = r.Operator.ToString(),
                    alertType = r.AlertType,
                    priority = r.Priority,
                    windowMs = r.WindowMs,
                    delayMs = (long)r.Delay.TotalMilliseconds,
                    text = r.Text,
                    parameters = parameters.GetValueOrDefault(r.Id),
                    alerts15m = totals.GetValueOrDefault(r.Id),
                }),
            },
            Json);
    }

    /// <summary>The body of <c>POST /api/rules/test</c>.</summary>
    /// <param name="Events">Event records, one JSON object per line.</param>
    /// <param name="Rules">A rule file's text; empty: the rule set in force.</param>
    public sealed record TrialRequest(string? Events, string? Rules);

    private async Task<IResult> TryRulesAsync(HttpContext context)
    {
        if (context.Request.ContentLength is > MaxTrialBytes)
        {
            return Results.Json(new AdminError($"the sample is larger than {MaxTrialBytes} bytes"), statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        TrialRequest? body;
        try
        {
            body = await context.Request.ReadFromJsonAsync<TrialRequest>(Json, context.RequestAborted);
        }
        catch (JsonException ex)
        {
            return Results.Json(new AdminError("the body is not {\"events\": \"...\", \"rules\": \"...\"}: " + ex.Message), statusCode: StatusCodes.Status400BadRequest);
        }

        if (body?.Events is not { Length: > 0 } events)
        {
            return Results.Json(new AdminError("events are required: one JSON event per line"), statusCode: StatusCodes.Status400BadRequest);
        }

        var source = settings.Sources.Count > 0 ? settings.Sources[0] : new SourceDefinition();
        RuleSet set;
        if (string.IsNullOrWhiteSpace(body.Rules))
        {
            if (parts.Rules is not { } inForce)
            {
                return Results.Json(new AdminError("no rule set is loaded on this node: paste rules"), statusCode: StatusCodes.Status409Conflict);
            }

            set = inForce;
        }
        else
        {
            try
            {
                var instances = RuleFile.Parse(body.Rules, "(pasted rules)");
                var compiled = RuleSetCompiler.Compile(1, instances, TemplateLibrary.LoadDirectory(settings.Rules.TemplatesDirectory), SourceDefinition.SharedSchema(settings.Sources));
                if (!compiled.Succeeded)
                {
                    return Results.Json(new { errors = compiled.Errors.Select(e => e.ToString()) }, statusCode: StatusCodes.Status422UnprocessableEntity);
                }

                set = compiled.RuleSet!;
            }
            catch (Exception ex) when (ex is RuleSetException or Alerting.Configuration.HoconException or Alerting.Configuration.ConfigurationValueException or IOException)
            {
                return Results.Json(new { errors = new[] { ex.Message } }, statusCode: StatusCodes.Status422UnprocessableEntity);
            }
        }

        var alerts = new List<JsonElement>();
        var skipped = new List<object>();
        using var buffer = new MemoryStream();
        RuleTrial.Run(
            set,
            source,
            events.Split('\n'),
            "(pasted events)",
            alert => alerts.Add(JsonDocument.Parse(RuleTrial.Format(alert, buffer)).RootElement.Clone()),
            (line, why) => skipped.Add(new { line, why }));
        return Results.Json(new { rules = set.Rules.Count, alerts, skipped }, Json);
    }

    /// <summary>Each rule's parameters as the rule file gives them (empty when it cannot be read now).</summary>
    private Dictionary<string, IReadOnlyDictionary<string, object?>> ParametersOf(string file)
    {
        try
        {
            return RuleFile.Load(file).GroupBy(r => r.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.First().Parameters, StringComparer.Ordinal);
        }
        catch (Exception ex) when (ex is RuleSetException or Alerting.Configuration.HoconException or IOException or UnauthorizedAccessException)
        {
            LogRuleFileUnreadable(file, ex);
            return [];
        }
    }

    private static string? Blank(string? s) => string.IsNullOrWhiteSpace(s) ? null : s.Trim();

    private static HashSet<FeedKind> ParseKinds(string? kinds)
    {
        var result = new HashSet<FeedKind>();
        foreach (var k in (kinds ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (Enum.TryParse<FeedKind>(k.Replace("-", "", StringComparison.Ordinal), ignoreCase: true, out var kind))
            {
                result.Add(kind);
            }
        }

        return result;
    }

    [LoggerMessage(EventId = LogEvents.WebLoginRefused, Level = LogLevel.Warning, Message = "web view: a login from {Remote} gave a wrong token")]
    private partial void LogLoginRefused(string remote);

    [LoggerMessage(EventId = LogEvents.WebRuleFileUnreadable, Level = LogLevel.Warning, Message = "web view: the rule file {File} could not be read for the rules' parameters")]
    private partial void LogRuleFileUnreadable(string file, Exception exception);
}
