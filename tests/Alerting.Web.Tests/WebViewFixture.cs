using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;
using Alerting.Service.Hosting;
using Microsoft.Playwright;

namespace Alerting.Web.Tests;

/// <summary>
/// One running demo node (embedded broker, alert graph, dispatcher) with its admin endpoint on a free port, bound off
/// loopback with a token, so the pages go through the login path; and one headless chromium (Debian's, at
/// <see cref="ChromiumPath"/>, never a downloaded one) driven by Playwright. Shared by the browser specs.
/// </summary>
public sealed class WebViewFixture : IAsyncLifetime
{
    /// <summary>Debian's chromium (apt package <c>chromium</c>, installed by <c>./build.sh test</c>).</summary>
    public const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>The node's admin token.</summary>
    public const string Token = "web-spec-token";

    private readonly CancellationTokenSource _stop = new(TimeSpan.FromMinutes(5));
    private readonly StringWriter _output = new();
    private string? _tokenFile;
    private Task<int>? _run;

    public string BaseUrl { get; private set; } = "";

    public IPlaywright Playwright { get; private set; } = null!;

    public IBrowser Browser { get; private set; } = null!;

    /// <summary>Where the screenshots go: <c>artifacts/ui/</c> of the checkout.</summary>
    public string Artifacts { get; } = ArtifactsDirectory();

    public string Output => _output.ToString();

    public async Task InitializeAsync()
    {
        if (!File.Exists(ChromiumPath))
        {
            throw new InvalidOperationException(
                $"chromium is not installed at {ChromiumPath}: the browser specs drive Debian's chromium (apt-get install chromium; ./build.sh test installs it)");
        }

        _tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(_tokenFile, Token + "\n");
        var port = FreePort();
        BaseUrl = $"http://127.0.0.1:{port}";
        _run = ServiceHost.RunAsync(
            CommandLine.Parse(["demo", "--duration", "240s", "--alerting:demo:events-per-second=1500", "--alerting:demo:devices=300",
                $"--alerting:admin:port={port}", "--alerting:admin:bind=0.0.0.0", $"--alerting:admin:token-file={_tokenFile}"]),
            TextWriter.Synchronized(_output),
            _stop.Token);

        Playwright = await Microsoft.Playwright.Playwright.CreateAsync();
        Assertions.SetDefaultExpectTimeout(30_000);
        var args = new List<string> { "--headless=new", "--disable-gpu", "--disable-dev-shm-usage" };
        if (Environment.UserName == "root")
        {
            args.Add("--no-sandbox"); // chromium refuses to start its sandbox as root
        }

        Browser = await Playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions { ExecutablePath = ChromiumPath, Headless = true, Args = args });
        await WaitForAlertsAsync();
    }

    /// <summary>A browser context already logged in (the token given once as <c>?token=</c>, then the session cookie).</summary>
    public async Task<IPage> LoggedInPageAsync(string path)
    {
        var context = await Browser.NewContextAsync(new BrowserNewContextOptions { ViewportSize = new ViewportSize { Width = 1400, Height = 1000 } });
        var page = await context.NewPageAsync();
        page.SetDefaultTimeout(30_000); // generous: the specs share two cores with every other test project under ./build.sh test
        await page.GotoAsync(BaseUrl + path + (path.Contains('?', StringComparison.Ordinal) ? "&" : "?") + "token=" + Token);
        return page;
    }

    /// <summary>The admin API with the bearer token.</summary>
    public HttpClient Api()
    {
        var http = new HttpClient { BaseAddress = new Uri(BaseUrl), Timeout = TimeSpan.FromSeconds(15) };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        return http;
    }

    /// <summary>Waits until the node's feed shows a feed entry of <paramref name="kind"/>, and returns its device.</summary>
    public async Task<string> FirstDeviceWithAsync(string kind, TimeSpan timeout)
    {
        using var http = Api();
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            using var response = await http.GetAsync(new Uri("/api/feed/stream?kind=" + kind, UriKind.Relative), HttpCompletionOption.ResponseHeadersRead);
            response.EnsureSuccessStatusCode();
            using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
            var line = await reader.ReadLineAsync();
            if (line is not null && line.StartsWith("data: ", StringComparison.Ordinal))
            {
                using var doc = JsonDocument.Parse(line["data: ".Length..]);
                var items = doc.RootElement.GetProperty("items");
                if (items.GetArrayLength() > 0)
                {
                    return items[items.GetArrayLength() - 1].GetProperty("deviceId").GetString()!;
                }
            }

            await Task.Delay(500);
        }

        throw new TimeoutException($"no '{kind}' entry in the feed within {timeout}; the node printed:\n{Output}");
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.CloseAsync();
        }

        Playwright?.Dispose();
        await _stop.CancelAsync();
        if (_run is not null)
        {
            try
            {
                await _run;
            }
            catch (OperationCanceledException)
            {
                // the node was stopped by its token
            }
        }

        if (_tokenFile is not null)
        {
            File.Delete(_tokenFile);
        }

        _stop.Dispose();
    }

    private async Task WaitForAlertsAsync()
    {
        using var http = Api();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (DateTime.UtcNow < deadline)
        {
            if (_run!.IsCompleted)
            {
                throw new InvalidOperationException("the demo node ended before the specs ran:\n" + Output);
            }

            try
            {
                using var response = await http.GetAsync(new Uri("/api/feed/rates", UriKind.Relative));
                if (response.StatusCode == HttpStatusCode.OK && (await response.Content.ReadAsStringAsync()).Contains("\"perRule\":{\"", StringComparison.Ordinal))
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }

            await Task.Delay(250);
        }

        throw new TimeoutException("the demo node produced no alert within 60 s:\n" + Output);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string ArtifactsDirectory()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Akka.Alerting.sln")))
        {
            dir = dir.Parent;
        }

        var path = Path.Combine(dir?.FullName ?? AppContext.BaseDirectory, "artifacts", "ui");
        Directory.CreateDirectory(path);
        return path;
    }
}

[CollectionDefinition(Name)]
public sealed class WebViewCollection : ICollectionFixture<WebViewFixture>
{
    public const string Name = "web view";
}
