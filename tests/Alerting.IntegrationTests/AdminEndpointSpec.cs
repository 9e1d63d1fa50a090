using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Akka.Configuration;
using Alerting.Configuration;
using Alerting.Service.Hosting;
using Alerting.Service.Operations;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Alerting.IntegrationTests;

/// <summary>The admin endpoint: its access rule, its settings, and health over real HTTP on a running node.</summary>
public sealed class AdminEndpointSpec
{
    private static AdminSettings Settings(string bind, string? token, bool anonymousHealth = false) =>
        AdminSettings.Create(ConfigurationFactory.ParseString($"alerting.admin {{ bind = \"{bind}\", anonymous-health = {(anonymousHealth ? "on" : "off")}, token-env = ADMIN_SPEC_TOKEN }}"),
            name => name == "ADMIN_SPEC_TOKEN" ? token : null);

    [Fact]
    public void On_loopback_reads_must_be_served_without_a_token_and_changes_must_need_one()
    {
        var open = Settings("127.0.0.1", token: null);
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(open, "GET", "/metrics", null));
        Assert.Equal(AdminAccess.NoTokenConfigured, AdminAuth.Decide(open, "POST", "/api/cluster/leave", null));

        var guarded = Settings("127.0.0.1", token: "s3cret");
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(guarded, "GET", "/api/cluster", null));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(guarded, "POST", "/api/cluster/leave", null));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(guarded, "POST", "/api/cluster/leave", "Bearer wrong"));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(guarded, "POST", "/api/cluster/leave", "Bearer s3cret"));
    }

    [Fact]
    public void Off_loopback_every_call_must_need_the_token_except_health_when_it_is_opened_for_probes()
    {
        var strict = Settings("0.0.0.0", token: "s3cret");
        Assert.False(strict.IsLoopback);
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(strict, "GET", "/health/ready", null));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(strict, "GET", "/metrics", null));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(strict, "GET", "/metrics", "bearer s3cret"));

        var probes = Settings("0.0.0.0", token: "s3cret", anonymousHealth: true);
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(probes, "GET", "/health/live", null));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(probes, "GET", "/metrics", null));
    }

    [Fact]
    public void A_non_loopback_bind_without_a_token_must_be_refused_at_start()
    {
        var ex = Assert.Throws<ConfigurationValueException>(() => Settings("0.0.0.0", token: null));
        Assert.Equal("alerting.admin.bind", ex.Key);
        Assert.Throws<ConfigurationValueException>(() => Settings("not-an-address", token: "x"));
    }

    [Fact]
    public void The_status_line_must_be_on_every_interval_in_text_mode_and_off_in_json_log_mode()
    {
        var text = AdminSettings.Create(ConfigurationFactory.ParseString("alerting { status-interval = 3s, log-format = text }"), _ => null);
        Assert.Equal(TimeSpan.FromSeconds(3), text.StatusInterval);
        Assert.False(text.JsonLogs);
        var json = AdminSettings.Create(ConfigurationFactory.ParseString("alerting { status-interval = 3s, log-format = json }"), _ => null);
        Assert.Equal(TimeSpan.Zero, json.StatusInterval);
        Assert.True(json.JsonLogs);
        Assert.Throws<ConfigurationValueException>(() => AdminSettings.Create(ConfigurationFactory.ParseString("alerting.log-format = xml"), _ => null));
    }

    [Fact]
    public void Console_logs_must_leave_out_the_admin_endpoint_s_per_request_lines_and_keep_the_service_s()
    {
        using var services = new ServiceCollection()
            .AddLogging(logging =>
            {
                logging.SetMinimumLevel(LogLevel.Information);
                logging.AddConsoleLogs(ConfigurationFactory.ParseString("alerting.log-format = json"));
            })
            .BuildServiceProvider();
        var factory = services.GetRequiredService<ILoggerFactory>();
        Assert.False(factory.CreateLogger("Microsoft.AspNetCore.Hosting.Diagnostics").IsEnabled(LogLevel.Information)); // every probe and scrape
        Assert.True(factory.CreateLogger("Microsoft.AspNetCore.Server.Kestrel").IsEnabled(LogLevel.Warning));
        Assert.True(factory.CreateLogger(typeof(AdminEndpoint).FullName!).IsEnabled(LogLevel.Information));
    }

    [Fact]
    public void The_run_status_line_must_print_the_counters_the_demo_prints()
    {
        var counters = new Service.Pipeline.PipelineCounters();
        counters.CountEventIn("device-events", 3);
        counters.CountEventIn("device-events", 4);
        counters.CountAlert("ab", Alerting.Rules.AlertKind.Generate);
        counters.CountAlert("ab", Alerting.Rules.AlertKind.Revoke);
        counters.CountDeadLetter("not_json");
        counters.AddLate(2);
        var line = new StatusLineService(Settings("127.0.0.1", null), counters, new NodeParts(), new StatusOutput(TextWriter.Null), TimeProvider.System,
            Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance).Line(TimeSpan.FromSeconds(12));

        Assert.Equal("status t=12s events_in=2 alerts_out=1 revokes_out=1 dispatched=0 dead_letter=1 late=2 lookup_hits=0 lookup_misses=0 checkpoints=0", line);
        Assert.Equal([("device-events", 3, 1L), ("device-events", 4, 1L)], counters.EventsInByPartition().OrderBy(p => p.Partition));
        Assert.Equal([("not_json", 1L)], counters.DeadLettersByReason());
    }

    [Fact]
    public void The_token_must_not_show_in_the_settings_text()
    {
        Assert.DoesNotContain("s3cret", Settings("127.0.0.1", token: "s3cret").ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_node_must_answer_live_at_once_ready_once_its_consumers_are_assigned_and_refuse_calls_without_the_token()
    {
        using var tokenFile = new TempFile("s3cret\n");
        var port = FreePort();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new StringWriter();
        var run = ServiceHost.RunAsync(
            Service.Hosting.CommandLine.Parse(["demo", "--duration", "15s", "--alerting:demo:events-per-second=2000", "--alerting:demo:devices=200",
                $"--alerting:admin:port={port}", "--alerting:admin:bind=0.0.0.0", $"--alerting:admin:token-file={tokenFile.Path}"]),
            TextWriter.Synchronized(output),
            cts.Token);

        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(10) };
        var live = await Eventually(http, "/health/live", "s3cret", r => r.StatusCode == HttpStatusCode.OK, run, cts.Token);
        Assert.Equal("live", Status(await live.Content.ReadAsStringAsync(cts.Token)));

        using (var anonymous = await http.GetAsync(new Uri("/health/live", UriKind.Relative), cts.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, anonymous.StatusCode);
        }

        using (var wrong = await Send(http, HttpMethod.Get, "/health/ready", "wrong", cts.Token))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);
        }

        var ready = await Eventually(http, "/health/ready", "s3cret", r => r.StatusCode == HttpStatusCode.OK, run, cts.Token);
        var body = await ready.Content.ReadAsStringAsync(cts.Token);
        Assert.Equal("ready", Status(body));
        using (var doc = JsonDocument.Parse(body))
        {
            var checks = doc.RootElement.GetProperty("checks").EnumerateArray().ToDictionary(c => c.GetProperty("name").GetString()!, c => c.GetProperty("detail").GetString()!);
            Assert.Contains("Up", checks["cluster"], StringComparison.Ordinal);
            Assert.Contains("partitions assigned", checks["alert-consumer"], StringComparison.Ordinal);
            Assert.Contains("alerts partitions assigned", checks["dispatch-consumer"], StringComparison.Ordinal);
        }

        Assert.Equal(0, await run.WaitAsync(cts.Token));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetAsync(new Uri("/health/live", UriKind.Relative), cts.Token));
    }

    /// <summary>Polls <paramref name="path"/> until <paramref name="done"/> holds; fails if the node stops first.</summary>
    internal static async Task<HttpResponseMessage> Eventually(HttpClient http, string path, string? token, Func<HttpResponseMessage, bool> done, Task node, CancellationToken cancellationToken)
    {
        while (true)
        {
            Assert.False(node.IsCompleted, "the node stopped before " + path + " answered as expected");
            try
            {
                var response = await Send(http, HttpMethod.Get, path, token, cancellationToken);
                if (done(response))
                {
                    return response;
                }

                response.Dispose();
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    internal static async Task<HttpResponseMessage> Send(HttpClient http, HttpMethod method, string path, string? token, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await http.SendAsync(request, cancellationToken);
    }

    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string? Status(string json)
    {
        using var doc = JsonDocument.Parse(json);
        return doc.RootElement.GetProperty("status").GetString();
    }

    private sealed class TempFile : IDisposable
    {
        public TempFile(string text)
        {
            Path = System.IO.Path.GetTempFileName();
            File.WriteAllText(Path, text);
        }

        public string Path { get; }

        public void Dispose() => File.Delete(Path);
    }
}
