using System.CommandLine;
using System.Globalization;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;

namespace Alerting.Cli;

/// <summary>
/// <c>alertctl</c>'s operations commands, pbm's shape over a node's admin HTTP API: <c>cluster show|rules|leave|down|
/// down-unreachable</c>, <c>sharding regions|stats|shard</c>, <c>device show</c>, <c>lag</c>, <c>dlq tail|replay</c>.
/// Every one takes <c>--endpoint</c> (default <c>$ALERTCTL_ENDPOINT</c>, else <c>http://127.0.0.1:8558</c>),
/// <c>--token</c> (default <c>$ALERTING_ADMIN_TOKEN</c>) and <c>--json</c> (the API's answer as is, for scripts;
/// tables otherwise). Exit codes: 0 done, 1 refused or failed (the node's answer on stderr), 2 usage.
/// </summary>
internal static class OpsCommands
{
    /// <summary>Exit code of a call the node refused or that failed.</summary>
    public const int Failed = 1;

    /// <summary>Exit code of a command line that does not parse.</summary>
    public const int Usage = 2;

    /// <summary>The names of the top-level operations commands (their parse errors exit with <see cref="Usage"/>).</summary>
    public static readonly string[] Names = ["cluster", "sharding", "device", "lag", "dlq"];

    public static IEnumerable<Command> Create(TextWriter stdout, TextWriter stderr, Func<HttpMessageHandler>? handler = null)
    {
        var endpoint = new Option<string>("--endpoint")
        {
            Description = "Admin endpoint of a node (default: $ALERTCTL_ENDPOINT, else http://127.0.0.1:8558)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ALERTCTL_ENDPOINT") is { Length: > 0 } e ? e : "http://127.0.0.1:8558",
        };
        var token = new Option<string?>("--token")
        {
            Description = "Bearer token of the admin endpoint (default: $ALERTING_ADMIN_TOKEN)",
            Recursive = true,
            DefaultValueFactory = _ => Environment.GetEnvironmentVariable("ALERTING_ADMIN_TOKEN"),
        };
        var json = new Option<bool>("--json") { Description = "Print the node's JSON answer instead of a table", Recursive = true };
        var address = new Argument<string>("address") { Description = "Akka address of the member, e.g. akka.tcp://alerting@10.0.0.1:4053, or self: the node of --endpoint" };
        var shardId = new Argument<string>("id") { Description = "Shard id (the alerts partition)" };
        var deviceId = new Argument<string>("device-id") { Description = "The device" };
        var reason = new Option<string?>("--reason") { Description = "Only records of this dead-letter reason (e.g. not_json)" };
        var requiredReason = new Option<string>("--reason") { Description = "Dead-letter reason of the records to re-publish", Required = true };
        var count = new Option<int>("-n") { Description = "How many records (newest last)", DefaultValueFactory = _ => 20 };

        Command Call(string name, string description, Func<ParseResult, (HttpMethod Method, string Path, object? Body)> request, Action<JsonElement, TextWriter> table, params Symbol[] symbols)
        {
            var command = new Command(name, description);
            foreach (var symbol in symbols)
            {
                switch (symbol)
                {
                    case Argument a:
                        command.Arguments.Add(a);
                        break;
                    case Option o:
                        command.Options.Add(o);
                        break;
                }
            }

            command.SetAction(async (parse, ct) =>
            {
                var (method, path, body) = request(parse);
                return await SendAsync(parse.GetValue(endpoint)!, parse.GetValue(token), method, path, body, parse.GetValue(json), table, stdout, stderr, handler, ct);
            });
            return command;
        }

        var cluster = new Command("cluster", "Cluster membership (pbm cluster).")
        {
            Call("show", "Members with their status, reachability and the leader.", _ => (HttpMethod.Get, "/api/cluster", null), ClusterTable),
            Call("rules", "The rule set each member holds and the live version each of its partitions matches under.", _ => (HttpMethod.Get, "/api/cluster/rules", null), ClusterRulesTable),
            Call("leave", "Ask a member to leave the cluster gracefully (its shards are handed off).", p => (HttpMethod.Post, "/api/cluster/leave", new { address = p.GetValue(address) }), ActionTable, address),
            Call("down", "Mark a member down (it is removed without handing off).", p => (HttpMethod.Post, "/api/cluster/down", new { address = p.GetValue(address) }), ActionTable, address),
            Call("down-unreachable", "Mark every unreachable member down.", _ => (HttpMethod.Post, "/api/cluster/down-unreachable", new { }), ActionTable),
        };
        cluster.Options.Add(endpoint);
        cluster.Options.Add(token);
        cluster.Options.Add(json);

        var sharding = new Command("sharding", "The device entities' shard regions (pbm cluster-sharding).")
        {
            Call("regions", "The device shard regions of the cluster.", _ => (HttpMethod.Get, "/api/sharding/regions", null), RegionsTable),
            Call("stats", "Shards per region with their entity counts.", _ => (HttpMethod.Get, "/api/sharding/stats", null), StatsTable),
            Call("shard", "Where a shard lives, with its entities.", p => (HttpMethod.Get, "/api/sharding/shards/" + Uri.EscapeDataString(p.GetValue(shardId)!), null), ShardTable, shardId),
        };
        sharding.Options.Add(endpoint);
        sharding.Options.Add(token);
        sharding.Options.Add(json);

        var device = new Command("device", "A device's entity.")
        {
            Call("show", "Open alerts, alerts held for their delay, dispatches not yet acknowledged, last finished alerts.", p => (HttpMethod.Get, "/api/devices/" + Uri.EscapeDataString(p.GetValue(deviceId)!), null), DeviceTable, deviceId),
        };
        device.Options.Add(endpoint);
        device.Options.Add(token);
        device.Options.Add(json);

        var lag = Call("lag", "Consumer lag per group and partition (high watermark - committed offset).", _ => (HttpMethod.Get, "/api/lag", null), LagTable);
        lag.Options.Add(endpoint);
        lag.Options.Add(token);
        lag.Options.Add(json);

        var dlq = new Command("dlq", "The dead-letter topic.")
        {
            Call("tail", "The newest dead letters.", p => (HttpMethod.Get, Tail(p.GetValue(reason), p.GetValue(count)), null), DlqTable, reason, count),
            Call("replay", "Re-publish the dead letters of a reason to their source topic (once the cause is fixed).", p => (HttpMethod.Post, "/api/dlq/replay", new { reason = p.GetValue(requiredReason) }), ActionTable, requiredReason),
        };
        dlq.Options.Add(endpoint);
        dlq.Options.Add(token);
        dlq.Options.Add(json);

        return [cluster, sharding, device, lag, dlq];
    }

    private static string Tail(string? reason, int n) =>
        string.Create(CultureInfo.InvariantCulture, $"/api/dlq?n={n}") + (reason is null ? "" : "&reason=" + Uri.EscapeDataString(reason));

    internal static async Task<int> SendAsync(
        string endpoint, string? token, HttpMethod method, string path, object? body, bool json,
        Action<JsonElement, TextWriter> table, TextWriter stdout, TextWriter stderr, Func<HttpMessageHandler>? handler, CancellationToken cancellationToken)
    {
        if (!Uri.TryCreate(endpoint, UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            await stderr.WriteLineAsync($"--endpoint {endpoint} is not an http(s) URL");
            return Usage;
        }

        using var http = handler is null ? new HttpClient() : new HttpClient(handler());
        http.Timeout = TimeSpan.FromSeconds(60);
        using var request = new HttpRequestMessage(method, new Uri(baseUri, path));
        if (!string.IsNullOrEmpty(token))
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, cancellationToken);
        }
        catch (HttpRequestException ex)
        {
            await stderr.WriteLineAsync($"{method} {new Uri(baseUri, path)} failed: {ex.Message}");
            return Failed;
        }
        catch (TaskCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync($"{method} {new Uri(baseUri, path)} timed out");
            return Failed;
        }

        using (response)
        {
            var text = await response.Content.ReadAsStringAsync(cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                await stderr.WriteLineAsync($"{(int)response.StatusCode} {response.ReasonPhrase}: {ErrorOf(text)}");
                return Failed;
            }

            if (json)
            {
                await stdout.WriteLineAsync(text);
                return 0;
            }

            using var doc = JsonDocument.Parse(text);
            table(doc.RootElement, stdout);
            return 0;
        }
    }

    private static string ErrorOf(string text)
    {
        try
        {
            using var doc = JsonDocument.Parse(text);
            return doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() ?? text : text;
        }
        catch (JsonException)
        {
            return text;
        }
    }

    private static void ClusterTable(JsonElement root, TextWriter output) =>
        Table(output, ["ADDRESS", "STATUS", "REACHABLE", "LEADER", "SELF", "ROLES"],
            root.GetProperty("members").EnumerateArray().Select(m => new[]
            {
                Str(m, "address"), Str(m, "status"), Bool(m, "reachable"), Bool(m, "leader"), Bool(m, "self"),
                string.Join(",", m.GetProperty("roles").EnumerateArray().Select(r => r.GetString())),
            }));

    internal static void ClusterRulesTable(JsonElement root, TextWriter output) =>
        Table(output, ["ADDRESS", "STATUS", "SET", "RULES", "PARTITIONS (LIVE VERSION)"],
            root.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("view") is { ValueKind: JsonValueKind.Object } view
                ? new[]
                {
                    Str(m, "address"), Str(m, "status"),
                    view.GetProperty("version") is { ValueKind: JsonValueKind.Number } v ? v.GetInt64().ToString(CultureInfo.InvariantCulture) : "-",
                    view.GetProperty("rules").GetArrayLength().ToString(CultureInfo.InvariantCulture),
                    string.Join(" ", view.GetProperty("partitions").EnumerateArray().Select(p => string.Create(CultureInfo.InvariantCulture,
                        $"{p.GetProperty("partition").GetInt32()}:{p.GetProperty("version").GetInt64()}"))),
                }
                : [Str(m, "address"), Str(m, "status"), "-", "-", "no answer: " + Str(m, "error")]));

    private static void ActionTable(JsonElement root, TextWriter output)
    {
        var addresses = root.GetProperty("addresses").EnumerateArray().Select(a => a.GetString()).ToList();
        var skipped = root.TryGetProperty("skipped", out var s) && s.ValueKind == JsonValueKind.Object
            ? string.Join(", ", s.EnumerateObject().Where(p => p.Value.GetInt32() > 0).Select(p => string.Create(CultureInfo.InvariantCulture, $"{p.Value.GetInt32()} {p.Name}")))
            : "";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{Str(root, "action")}: {root.GetProperty("count").GetInt32()}{(addresses.Count > 0 ? " " + string.Join(" ", addresses) : "")}{(skipped.Length > 0 ? " (skipped: " + skipped + ")" : "")}"));
    }

    private static void RegionsTable(JsonElement root, TextWriter output) =>
        Table(output, ["TYPE", "REGION"], root.GetProperty("regions").EnumerateArray().Select(r => new[] { Str(root, "typeName"), r.GetString() ?? "" }));

    private static void StatsTable(JsonElement root, TextWriter output) =>
        Table(output, ["REGION", "SHARDS", "ENTITIES", "SHARD IDS"],
            root.GetProperty("regions").EnumerateArray().Select(r =>
            {
                var shards = r.GetProperty("shards").EnumerateObject().ToList();
                return new[]
                {
                    Str(r, "address"), shards.Count.ToString(CultureInfo.InvariantCulture),
                    shards.Sum(s => s.Value.GetInt32()).ToString(CultureInfo.InvariantCulture),
                    string.Join(",", shards.Select(s => s.Name).OrderBy(s => s.Length).ThenBy(s => s, StringComparer.Ordinal)),
                };
            }));

    private static void ShardTable(JsonElement root, TextWriter output)
    {
        Table(output, ["SHARD", "REGION", "ENTITIES"], [[Str(root, "shardId"), Str(root, "region"), root.GetProperty("entities").GetInt32().ToString(CultureInfo.InvariantCulture)]]);
        var ids = root.GetProperty("entityIds").EnumerateArray().Select(e => e.GetString()).ToList();
        if (ids.Count > 0)
        {
            output.WriteLine("entity ids: " + string.Join(" ", ids));
        }
    }

    private static void DeviceTable(JsonElement root, TextWriter output)
    {
        var state = root.GetProperty("state");
        output.WriteLine($"device {Str(root, "deviceId")} (shard {Str(root, "shardId")})");
        output.WriteLine("open alerts:");
        Table(output, ["ALERT", "TYPE", "PRIORITY", "DISPATCH", "WORK ORDER OPEN"], state.GetProperty("open").EnumerateArray().Select(o => new[]
        {
            Str(o.GetProperty("alert"), "alertId"), Str(o.GetProperty("alert"), "alertType"), Raw(o.GetProperty("alert"), "priority"), Str(o, "dispatchId"), Bool(o, "workOrderOpened"),
        }));
        output.WriteLine("pending (held for their delay):");
        Table(output, ["ALERT", "TYPE", "DUE AT"], state.GetProperty("pending").EnumerateArray().Select(p => new[]
        {
            Str(p.GetProperty("alert"), "alertId"), Str(p.GetProperty("alert"), "alertType"), Str(p, "dueAt"),
        }));
        output.WriteLine("dispatches not yet acknowledged:");
        Table(output, ["DISPATCH", "KIND", "ALERT"], state.GetProperty("outbox").EnumerateArray().Select(d => new[]
        {
            Raw(d, "dispatchId"), Raw(d, "kind"), Raw(d, "alertId"),
        }));
        output.WriteLine("last finished alerts: " + string.Join(" ", state.GetProperty("finished").EnumerateArray().Select(f => f.GetString())));
    }

    private static void LagTable(JsonElement root, TextWriter output)
    {
        Table(output, ["GROUP", "TOPIC", "PARTITION", "COMMITTED", "HIGH", "LAG"], root.GetProperty("partitions").EnumerateArray().Select(p => new[]
        {
            Str(p, "group"), Str(p, "topic"), Raw(p, "partition"), Raw(p, "committed"), Raw(p, "high"), Raw(p, "lag"),
        }));
        output.WriteLine("total lag: " + Raw(root, "total"));
    }

    private static void DlqTable(JsonElement root, TextWriter output) =>
        Table(output, ["PARTITION", "OFFSET", "TIME", "REASON", "SOURCE", "KEY", "VALUE"], root.GetProperty("records").EnumerateArray().Select(r => new[]
        {
            Raw(r, "partition"), Raw(r, "offset"), Str(r, "timestamp"), Str(r, "reason"),
            $"{Str(r, "sourceTopic")}/{Raw(r, "sourcePartition")}/{Raw(r, "sourceOffset")}", Str(r, "key"), Shorten(Str(r, "value"), 60),
        }));

    private static string Shorten(string text, int max)
    {
        var line = text.Replace('\n', ' ').Replace('\r', ' ');
        return line.Length <= max ? line : line[..(max - 1)] + "…";
    }

    private static string Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : e.TryGetProperty(name, out v) && v.ValueKind != JsonValueKind.Null ? v.ToString() : "";

    private static string Raw(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind != JsonValueKind.Null ? (v.ValueKind == JsonValueKind.String ? v.GetString() ?? "" : v.GetRawText()) : "-";

    private static string Bool(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.True ? "yes" : "no";

    /// <summary>Columns padded to their widest cell, two spaces apart.</summary>
    private static void Table(TextWriter output, string[] header, IEnumerable<string[]> rows)
    {
        var all = new List<string[]> { header };
        all.AddRange(rows);
        var widths = header.Select((_, i) => all.Max(r => r[i].Length)).ToArray();
        foreach (var row in all)
        {
            var line = new StringBuilder();
            for (var i = 0; i < row.Length; i++)
            {
                line.Append(i == row.Length - 1 ? row[i] : row[i].PadRight(widths[i] + 2));
            }

            output.WriteLine(line.ToString().TrimEnd());
        }
    }
}
