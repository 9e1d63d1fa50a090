using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Alerting.Cli;
using Alerting.Kafka;
using Alerting.Kafka.Embedded;
using Alerting.Service.Demo;
using Alerting.Service.Hosting;
using Alerting.Service.Settings;
using Alerting.TestKit;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.IntegrationTests;

/// <summary>
/// Three nodes of the service (<c>run</c>, both applications) in one process, forming one Akka cluster over loopback,
/// on the embedded broker and PostgreSQL; every <c>alertctl</c> operations command runs against their admin endpoints
/// over real HTTP and its answer is checked.
/// </summary>
public sealed class OperationsClusterSpec(PostgresFixture postgres, ITestOutputHelper log) : IClassFixture<PostgresFixture>
{
    private const string Token = "ops-s3cret";
    private const int Partitions = 6;
    private const string Device = "100042"; // outside the generated traffic's devices ("1".."300")

    [Fact]
    public async Task Every_alertctl_command_must_answer_from_a_three_node_cluster_over_http()
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(5));
        await using var broker = EmbeddedKafkaCluster.Start(1);
        var names = TopicSettings.Create(ServiceConfiguration.Build(null, "run", []));
        foreach (var topic in names.All)
        {
            broker.CreateTopic(topic, Partitions);
        }

        var tokenFile = Path.GetTempFileName();
        await File.WriteAllTextAsync(tokenFile, Token, cts.Token);
        var remoting = Enumerable.Range(0, 3).Select(_ => AdminEndpointSpec.FreePort()).ToArray();
        var admin = Enumerable.Range(0, 3).Select(_ => AdminEndpointSpec.FreePort()).ToArray();
        var seed = $"akka.tcp://alerting@127.0.0.1:{remoting[0]}";
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cts.Token);
        var outputs = new StringWriter[3];
        var nodes = new Task<int>[3];
        for (var i = 0; i < 3; i++)
        {
            outputs[i] = new StringWriter();
            nodes[i] = ServiceHost.RunAsync(Service.Hosting.CommandLine.Parse([
                "run",
                $"--alerting:kafka:bootstrap-servers={broker.BootstrapServers}", "--alerting:kafka:session-timeout=6s", "--alerting:kafka:heartbeat-interval=1s",
                "--alerting:persistence:provider=postgres", $"--alerting:persistence:connection-string={postgres.ConnectionString}",
                $"--alerting:cluster:port={remoting[i]}", $"--alerting:cluster:seed-nodes=[\"{seed}\"]",
                $"--alerting:admin:port={admin[i]}", $"--alerting:admin:token-file={tokenFile}",
                "--alerting:status-interval=0s", "--alerting:dispatch:default-delay=300ms", "--alerting:alert:checkpoint-interval=1s",
                $"--alerting:instance-name=node{i}"]), TextWriter.Synchronized(outputs[i]), stop.Token);
        }

        try
        {
            // Every node ready: an Up member with partitions of both groups.
            foreach (var port in admin)
            {
                using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                using var ready = await AdminEndpointSpec.Eventually(http, "/health/ready", null, r => r.IsSuccessStatusCode, Task.WhenAny(nodes), cts.Token);
            }

            var endpoint = $"http://127.0.0.1:{admin[0]}";

            // cluster show: three members, all Up, one leader, this node marked
            var members = await Eventually(() => Json(endpoint, "cluster", "show"), doc => doc.RootElement.GetProperty("members").GetArrayLength() == 3
                && doc.RootElement.GetProperty("members").EnumerateArray().All(m => m.GetProperty("status").GetString() == "Up"), cts.Token);
            var addresses = members.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()!).ToList();
            Assert.Equal(remoting.Select(p => $"akka.tcp://alerting@127.0.0.1:{p}").Order(StringComparer.Ordinal), addresses);
            Assert.Single(members.RootElement.GetProperty("members").EnumerateArray(), m => m.GetProperty("leader").GetBoolean());
            Assert.Equal(seed, members.RootElement.GetProperty("self").GetString());
            var table = Text(endpoint, "cluster", "show");
            Assert.StartsWith("ADDRESS", table.Output, StringComparison.Ordinal);
            Assert.Equal(4, table.Output.Trim().Split('\n').Length);

            // Traffic: the generator's devices, a known pair of faults for one device, and records that are not JSON.
            using var producer = KafkaClients.ProducerBuilder<string, string>(KafkaClients.ProducerConfig(broker.BootstrapServers)).Build();
            var now = DateTimeOffset.UtcNow;
            await Produce(producer, names.Events, Device, Event("Fault", 101, now, "ops-e1"), cts.Token);
            await Produce(producer, names.Events, Device, Event("Fault", 102, now.AddSeconds(1), "ops-e2"), cts.Token);
            for (var i = 0; i < 3; i++)
            {
                await Produce(producer, names.Events, "7" + i, "not json from the operations spec " + i, cts.Token);
            }

            await Produce(producer, names.Events, "80", new string('x', 600 * 1024), cts.Token); // too_large, and cut when dead-lettered

            var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", ["--alerting:demo:events-per-second=500", "--alerting:demo:devices=300", "--alerting:demo:malformed-share=0"]));
            using var trafficStop = new CancellationTokenSource();
            var traffic = new DemoTraffic(settings.Demo, settings.Kafka with { BootstrapServers = broker.BootstrapServers }, TimeProvider.System).RunAsync(trafficStop.Token);

            // device show: the entity of the device holds the alert of its two faults (held, then dispatched and open)
            var device = await Eventually(() => Json(endpoint, "device", "show", Device), doc =>
            {
                var state = doc.RootElement.GetProperty("state");
                return state.GetProperty("open").GetArrayLength() + state.GetProperty("pending").GetArrayLength() > 0;
            }, cts.Token);
            var shardOfDevice = device.RootElement.GetProperty("shardId").GetString()!;
            Assert.Equal(Device, device.RootElement.GetProperty("deviceId").GetString());
            Assert.Equal(KafkaPartitioner.PartitionOf(Device, Partitions).ToString(CultureInfo.InvariantCulture), shardOfDevice);
            var held = device.RootElement.GetProperty("state").GetProperty("open").EnumerateArray()
                .Concat(device.RootElement.GetProperty("state").GetProperty("pending").EnumerateArray())
                .Select(a => a.GetProperty("alert")).ToList();
            Assert.All(held, a => Assert.False(string.IsNullOrEmpty(a.GetProperty("alertId").GetString())));
            Assert.Contains(held, a => a.GetProperty("alertType").GetString() == "FAULT_PAIR");
            Assert.Contains("open alerts:", Text(endpoint, "device", "show", Device).Output, StringComparison.Ordinal);

            // sharding regions: one region per node
            var regions = Json(endpoint, "sharding", "regions");
            Assert.Equal(addresses, regions.RootElement.GetProperty("regions").EnumerateArray().Select(r => r.GetString()!).ToList());

            // sharding stats: shards spread over the three nodes, each alerts partition on one node only
            var stats = await Eventually(() => Json(endpoint, "sharding", "stats"), doc =>
                doc.RootElement.GetProperty("regions").EnumerateArray().Count(r => r.GetProperty("shards").EnumerateObject().Any()) == 3, cts.Token);
            var shardHosts = stats.RootElement.GetProperty("regions").EnumerateArray()
                .SelectMany(r => r.GetProperty("shards").EnumerateObject().Select(s => (Shard: s.Name, Region: r.GetProperty("address").GetString()!, Entities: s.Value.GetInt32())))
                .ToList();
            Assert.Equal(shardHosts.Count, shardHosts.Select(s => s.Shard).Distinct().Count());
            Assert.All(shardHosts, s => Assert.InRange(int.Parse(s.Shard, CultureInfo.InvariantCulture), 0, Partitions - 1));
            Assert.Contains("REGION", Text(endpoint, "sharding", "stats").Output, StringComparison.Ordinal);

            // sharding shard: the device's shard, on the region the stats name, asked from that node lists the device
            var host = shardHosts.Single(s => s.Shard == shardOfDevice);
            var hostAdmin = admin[Array.FindIndex(remoting, p => host.Region.EndsWith(":" + p, StringComparison.Ordinal))];
            var shard = Json($"http://127.0.0.1:{hostAdmin}", "sharding", "shard", shardOfDevice);
            Assert.Equal(host.Region, shard.RootElement.GetProperty("region").GetString());
            Assert.Contains(Device, shard.RootElement.GetProperty("entityIds").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal(1, Run(endpoint, "sharding", "shard", "99").Exit); // no such shard

            // lag: both groups, every partition, never negative; the alert group catches up
            var lag = await Eventually(() => Json(endpoint, "lag"), doc => doc.RootElement.GetProperty("partitions").EnumerateArray()
                .Any(p => p.GetProperty("group").GetString() == "akka-alerting-alert" && p.GetProperty("committed").ValueKind == JsonValueKind.Number), cts.Token);
            var rows = lag.RootElement.GetProperty("partitions").EnumerateArray().ToList();
            Assert.Equal(Partitions, rows.Count(r => r.GetProperty("group").GetString() == "akka-alerting-alert" && r.GetProperty("topic").GetString() == names.Events));
            Assert.Equal(Partitions, rows.Count(r => r.GetProperty("group").GetString() == "akka-alerting-dispatch" && r.GetProperty("topic").GetString() == names.Alerts));
            Assert.All(rows, r => Assert.True(r.GetProperty("lag").GetInt64() >= 0));
            Assert.Contains("total lag:", Text(endpoint, "lag").Output, StringComparison.Ordinal);

            // cluster rules: every member answers with the rule file's set, and each partition runs on exactly one member
            var ruleViews = await Eventually(() => Json(endpoint, "cluster", "rules"), doc =>
            {
                var views = doc.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("view")).ToList();
                return views.Count == 3 && views.All(v => v.ValueKind == JsonValueKind.Object)
                    && views.SelectMany(v => v.GetProperty("partitions").EnumerateArray().Select(p => p.GetProperty("partition").GetInt32())).Order().SequenceEqual(Enumerable.Range(0, Partitions));
            }, cts.Token);
            Assert.Equal(addresses, ruleViews.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()!).ToList());
            Assert.All(ruleViews.RootElement.GetProperty("members").EnumerateArray(), m =>
                Assert.Contains("ab", m.GetProperty("view").GetProperty("rules").EnumerateArray().Select(r => r.GetProperty("id").GetString())));
            Assert.StartsWith("ADDRESS", Text(endpoint, "cluster", "rules").Output, StringComparison.Ordinal);
            var storeConfig = Path.GetTempFileName();
            try
            {
                await File.WriteAllTextAsync(storeConfig, $"alerting {{ persistence {{ provider = postgres, connection-string = \"{postgres.ConnectionString}\" }}, kafka {{ bootstrap-servers = \"{broker.BootstrapServers}\" }} }}", cts.Token);
                var list = Text(endpoint, "rules", "list", "--config", storeConfig, "--token", Token).Output;
                Assert.Contains("in force per node:", list, StringComparison.Ordinal);
                Assert.Equal(3, list.Split('\n').Count(l => l.StartsWith("akka.tcp://alerting@127.0.0.1:", StringComparison.Ordinal)));

                // a live version of two rules: every partition of every member takes it at its effective time, and the
                // metrics name it with its rule count
                var twoRules = storeConfig + ".rules.conf";
                await File.WriteAllTextAsync(twoRules, """
                    rules = [
                      { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType = "FAULT_PAIR", priority = 2 } }
                      { id = "ca", template = "fault-then-alarm", params { code = 103, window = 1m, alertType = "FAULT_ALARM", priority = 3 } }
                    ]
                    """, cts.Token);
                var effectiveAt = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() + 2_000;
                var stdout = new StringWriter();
                var stderr = new StringWriter();
                Assert.True(0 == AlertCtl.Run(["rules", "apply", twoRules, "--config", storeConfig, "--effective-at", effectiveAt.ToString(CultureInfo.InvariantCulture),
                    "--templates", Path.Combine(AppContext.BaseDirectory, "templates")], stdout, stderr), stderr.ToString());
                var applied = long.Parse(Regex.Match(stdout.ToString(), @"rule set version (\d+) applied").Groups[1].Value, CultureInfo.InvariantCulture);
                var swapped = await Eventually(() => Json(endpoint, "cluster", "rules"), doc => doc.RootElement.GetProperty("members").EnumerateArray()
                    .SelectMany(m => m.GetProperty("view").GetProperty("partitions").EnumerateArray())
                    .Count(p => p.GetProperty("version").GetInt64() == applied) == Partitions, cts.Token);
                Assert.All(swapped.RootElement.GetProperty("members").EnumerateArray().SelectMany(m => m.GetProperty("view").GetProperty("partitions").EnumerateArray()),
                    p => Assert.Equal(effectiveAt, p.GetProperty("effectiveAt").GetInt64()));
                using var scrape = new HttpClient { BaseAddress = new Uri(endpoint) };
                var metrics = await scrape.GetStringAsync(new Uri("/metrics", UriKind.Relative), cts.Token);
                Assert.Matches($"(?m)^alerting_rule_set_version {applied}$", metrics);
                Assert.Matches("(?m)^alerting_rules 2$", metrics);
                File.Delete(twoRules);
            }
            finally
            {
                File.Delete(storeConfig);
            }

            // the matcher's state of the device, asked of every member: the node running its partition answers
            using (var web = new HttpClient { BaseAddress = new Uri(endpoint) })
            {
                web.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Token);
                using var deviceFeed = JsonDocument.Parse(await web.GetStringAsync(new Uri("/api/feed/devices/" + Device, UriKind.Relative), cts.Token));
                var matcher = deviceFeed.RootElement.GetProperty("matcher");
                Assert.Equal(3, matcher.GetProperty("nodes").GetInt32());
                Assert.Equal(Partitions, matcher.GetProperty("asked").GetInt32());
            }

            // dlq tail: the records that were not JSON, with their reason and source
            var dlq = await Eventually(() => Json(endpoint, "dlq", "tail", "--reason", "not_json", "-n", "10"), doc =>
                doc.RootElement.GetProperty("records").GetArrayLength() >= 3, cts.Token);
            var records = dlq.RootElement.GetProperty("records").EnumerateArray().ToList();
            Assert.All(records, r => Assert.Equal("not_json", r.GetProperty("reason").GetString()));
            Assert.All(records, r => Assert.Equal(names.Events, r.GetProperty("sourceTopic").GetString()));
            Assert.Contains(records, r => r.GetProperty("value").GetString() == "not json from the operations spec 0");
            Assert.Equal(1, Json(endpoint, "dlq", "tail", "--reason", "not_json", "-n", "1").RootElement.GetProperty("records").GetArrayLength());

            // dlq replay: refused without the token, done with it; the replayed records come back as dead letters again
            Assert.Equal(1, Run(endpoint, "dlq", "replay", "--reason", "not_json", "--token", "").Exit);
            var replay = Json(endpoint, "dlq", "replay", "--reason", "not_json", "--token", Token);
            Assert.Equal(records.Count, replay.RootElement.GetProperty("count").GetInt32());
            await Eventually(() => Json(endpoint, "dlq", "tail", "--reason", "not_json", "-n", "100"), doc =>
                doc.RootElement.GetProperty("records").GetArrayLength() >= 2 * records.Count, cts.Token);

            // dlq replay leaves out a record that was cut when dead-lettered: its bytes are not the original's
            var big = await Eventually(() => Json(endpoint, "dlq", "tail", "--reason", "too_large", "-n", "10"), doc =>
                doc.RootElement.GetProperty("records").GetArrayLength() == 1, cts.Token);
            Assert.Equal(512 * 1024, big.RootElement.GetProperty("records")[0].GetProperty("value").GetString()!.Length);
            var cutReplay = Json(endpoint, "dlq", "replay", "--reason", "too_large", "--token", Token).RootElement;
            Assert.Equal(0, cutReplay.GetProperty("count").GetInt32());
            Assert.Equal(1, cutReplay.GetProperty("skipped").GetProperty("cut").GetInt32());
            Assert.Contains("(skipped: 1 cut)", Text(endpoint, "dlq", "replay", "--reason", "too_large", "--token", Token).Output, StringComparison.Ordinal);

            // usage errors exit 2, refusals 1
            Assert.Equal(2, Run(endpoint, "cluster", "leave").Exit);
            Assert.Equal(1, Run(endpoint, "cluster", "leave", addresses[2]).Exit); // no token
            Assert.Equal(1, Run(endpoint, "cluster", "down", "akka.tcp://alerting@127.0.0.1:1", "--token", Token).Exit); // not a member

            // cluster down-unreachable: nobody is unreachable
            Assert.Equal(0, Json(endpoint, "cluster", "down-unreachable", "--token", Token).RootElement.GetProperty("count").GetInt32());

            // cluster leave: the third node leaves, stops, and cluster show lists two members
            var third = addresses.Single(a => a.EndsWith(":" + remoting[2], StringComparison.Ordinal));
            var left = Run(endpoint, "cluster", "leave", third, "--token", Token);
            Assert.Equal(0, left.Exit);
            Assert.Contains(third, left.Output, StringComparison.Ordinal);
            await Eventually(() => Json(endpoint, "cluster", "show"), doc =>
                doc.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetProperty("address").GetString()).SequenceEqual(addresses.Where(a => a != third)), cts.Token);
            Assert.Equal(0, await nodes[2].WaitAsync(TimeSpan.FromSeconds(60), cts.Token));

            await trafficStop.CancelAsync();
            await traffic.ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
        finally
        {
            await stop.CancelAsync();
            foreach (var (node, i) in nodes.Select((n, i) => (n, i)))
            {
                try
                {
                    await node.WaitAsync(TimeSpan.FromSeconds(60), CancellationToken.None);
                }
                catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
                {
                    log.WriteLine($"node{i} did not stop: {ex.Message}");
                }

                log.WriteLine($"node{i} stdout:\n{outputs[i]}");
            }

            File.Delete(tokenFile);
        }
    }

    private static string Event(string message, int code, DateTimeOffset at, string id) =>
        string.Create(CultureInfo.InvariantCulture, $"{{\"Message\":\"{message}\",\"Param\":{{\"ErrCode\":{code},\"Timestamp\":\"{at.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"ID\":\"{id}\"}},\"DeviceNumber\":{Device}}}");

    private static Task Produce(IProducer<string, string> producer, string topic, string key, string value, CancellationToken cancellationToken) =>
        producer.ProduceAsync(topic, new Message<string, string> { Key = key, Value = value }, cancellationToken);

    private static (int Exit, string Output, string Error) Run(string endpoint, params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        var exit = AlertCtl.Run([.. args, "--endpoint", endpoint], stdout, stderr);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    private static (int Exit, string Output, string Error) Text(string endpoint, params string[] args)
    {
        var result = Run(endpoint, args);
        Assert.True(result.Exit == 0, $"alertctl {string.Join(' ', args)} exited {result.Exit}: {result.Error}");
        return result;
    }

    private static JsonDocument Json(string endpoint, params string[] args) =>
        JsonDocument.Parse(Text(endpoint, [.. args, "--json"]).Output);

    /// <summary>Runs <paramref name="call"/> until <paramref name="done"/> holds (a failed call counts as not yet).</summary>
    private static async Task<JsonDocument> Eventually(Func<JsonDocument> call, Func<JsonDocument, bool> done, CancellationToken cancellationToken)
    {
        var last = "";
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                var doc = await Task.Run(call, cancellationToken);
                if (done(doc))
                {
                    return doc;
                }

                last = doc.RootElement.GetRawText();
                doc.Dispose();
            }
            catch (Xunit.Sdk.XunitException ex)
            {
                last = ex.Message;
            }

            if (cancellationToken.IsCancellationRequested)
            {
                throw new TimeoutException("never held; last answer: " + last);
            }

            await Task.Delay(500, cancellationToken).ContinueWith(_ => { }, CancellationToken.None, TaskContinuationOptions.None, TaskScheduler.Default);
        }
    }
}
