using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using Alerting.Service.Hosting;

namespace Alerting.IntegrationTests;

/// <summary><c>GET /metrics</c> of a node running the demo's traffic, scraped over real HTTP.</summary>
public sealed partial class MetricsSpec
{
    [GeneratedRegex(@"^(?<name>[a-z_]+)(\{(?<labels>[^}]*)\})? (?<value>\S+)$", RegexOptions.Multiline)]
    private static partial Regex Sample();

    [Fact]
    public async Task A_scrape_after_traffic_must_find_every_metric_with_a_plausible_value()
    {
        var port = AdminEndpointSpec.FreePort();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        var output = new StringWriter();
        var run = ServiceHost.RunAsync(
            Service.Hosting.CommandLine.Parse(["demo", "--duration", "30s", "--alerting:demo:events-per-second=3000", "--alerting:demo:devices=300",
                "--alerting:alert:checkpoint-interval=1s", "--alerting:dispatch:default-delay=200ms", $"--alerting:admin:port={port}"]),
            TextWriter.Synchronized(output),
            cts.Token);
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromSeconds(20) };

        // Scrape until the traffic has reached every part (or the demo ends, which fails the test).
        List<(string Name, Dictionary<string, string> Labels, double Value)> samples = [];
        using (var response = await AdminEndpointSpec.Eventually(http, "/metrics", null, r =>
        {
            if (r.StatusCode != HttpStatusCode.OK)
            {
                return false;
            }

            samples = Parse(r.Content.ReadAsStringAsync(cts.Token).GetAwaiter().GetResult());
            return Sum(samples, "alerting_alerts_total") > 0 && Sum(samples, "alerting_checkpoints_total") > 0
                && Sum(samples, "alerting_dispatches_total", "outcome", "dispatched") > 0 && Sum(samples, "alerting_dead_letters_total") > 0
                && Sum(samples, "alerting_journal_writes_total") > 0 && Sum(samples, "alerting_sharding_entities") > 0;
        }, run, cts.Token))
        {
            Assert.StartsWith("text/plain", response.Content.Headers.ContentType?.ToString(), StringComparison.Ordinal);
        }

        // events in per topic and partition: the demo's 8 partitions of device-events
        var eventsIn = samples.Where(s => s.Name == "alerting_events_in_total").ToList();
        Assert.All(eventsIn, s => Assert.Equal("device-events", s.Labels["topic"]));
        Assert.True(eventsIn.Select(s => s.Labels["partition"]).Distinct().Count() > 1, "events in only one partition");
        Assert.True(eventsIn.Sum(s => s.Value) > 1000);

        // consumer lag of both groups, per partition, never negative
        var lag = samples.Where(s => s.Name == "alerting_consumer_lag").ToList();
        Assert.Contains(lag, s => s.Labels["group"] == "akka-alerting-alert" && s.Labels["topic"] == "device-events");
        Assert.Contains(lag, s => s.Labels["group"] == "akka-alerting-dispatch" && s.Labels["topic"] == "alerts");
        Assert.All(lag, s => Assert.True(s.Value >= 0));

        // dead letters by reason: the demo's malformed records
        Assert.All(samples.Where(s => s.Name == "alerting_dead_letters_total"), s => Assert.Matches("^[a-z0-9_]+$", s.Labels["reason"]));
        Assert.True(Sum(samples, "alerting_dead_letters_total") < Sum(samples, "alerting_events_in_total"));
        Assert.Contains(samples, s => s.Name == "alerting_late_events_total" && s.Value >= 0);
        Assert.Equal(0, Single(samples, "alerting_partial_matches_dropped_total")); // the shipped rules use no sequence vocabulary

        // alerts by rule and kind: rules of the shipped set, generates at least
        var alerts = samples.Where(s => s.Name == "alerting_alerts_total").ToList();
        Assert.Contains(alerts, s => s.Labels["kind"] == "generate" && s.Value > 0);
        Assert.All(alerts, s => Assert.False(string.IsNullOrEmpty(s.Labels["rule"])));

        // dispatches: every outcome present; dispatched (waited for above) never more than the generates produced
        Assert.Equal(["cancelled", "dispatched", "held", "revoked"], samples.Where(s => s.Name == "alerting_dispatches_total").Select(s => s.Labels["outcome"]).Order(StringComparer.Ordinal));
        Assert.True(Sum(samples, "alerting_dispatches_total", "outcome", "dispatched") <= Sum(samples, "alerting_alerts_total", "kind", "generate"));

        // checkpoints: recent, and their write took some time but not minutes
        var age = Single(samples, "alerting_checkpoint_age_seconds");
        Assert.InRange(age, 0, 30);
        Assert.InRange(Single(samples, "alerting_checkpoint_duration_seconds"), 1e-7, 60);

        // journal: writes, their summed latency (positive, a plausible mean), events at least one per write
        var writes = Single(samples, "alerting_journal_writes_total");
        var seconds = Single(samples, "alerting_journal_write_seconds_total");
        Assert.InRange(seconds / writes, 1e-6, 10);
        Assert.True(Single(samples, "alerting_journal_events_total") >= writes);

        // lookup cache: every alert looked up, so hits + misses > 0
        Assert.True(Single(samples, "alerting_lookup_cache_hits_total") + Single(samples, "alerting_lookup_cache_misses_total") > 0);

        // one node: it hosts every shard that has entities, at most the 8 partitions
        Assert.InRange(Single(samples, "alerting_sharding_shards"), 1, 8);
        Assert.True(Single(samples, "alerting_sharding_entities") >= 1);

        // the shipped rule set
        Assert.True(Single(samples, "alerting_rule_set_version") >= 1);
        Assert.True(Single(samples, "alerting_rules") >= 1);
        Assert.Equal(1, Sum(samples, "alerting_cluster_members", "status", "up"));

        Assert.Equal(0, await run.WaitAsync(cts.Token));
    }

    private static List<(string Name, Dictionary<string, string> Labels, double Value)> Parse(string text) =>
        [.. Sample().Matches(text).Select(m => (
            m.Groups["name"].Value,
            m.Groups["labels"].Value.Split(',', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => l.Split('=', 2))
                .ToDictionary(p => p[0], p => p[1].Trim('"'), StringComparer.Ordinal),
            double.Parse(m.Groups["value"].Value, CultureInfo.InvariantCulture)))];

    private static double Sum(List<(string Name, Dictionary<string, string> Labels, double Value)> samples, string name, string? label = null, string? value = null) =>
        samples.Where(s => s.Name == name && (label is null || (s.Labels.TryGetValue(label, out var v) && v == value))).Sum(s => s.Value);

    private static double Single(List<(string Name, Dictionary<string, string> Labels, double Value)> samples, string name) =>
        Assert.Single(samples, s => s.Name == name).Value;
}
