using System.Globalization;
using System.Text.Json.Nodes;

namespace Alerting.Reliability;

/// <summary>The fault scenarios driven through the dev broker's control channel and the cluster: 2, 3 and 4.</summary>
public sealed partial class Scenarios
{
    /// <summary>
    /// 4. Rebalances: with two nodes running under load, a third joins and leaves (SIGTERM, a graceful leave) five
    /// times. Nothing may be lost, and no device shard may be hosted by two nodes at once: the cluster's shard
    /// regions are polled through the admin endpoint (<c>/api/sharding/stats</c>, every region's own answer) the
    /// whole time, and a shard listed by two regions is asked again at once (a hand-off between two regions'
    /// answers is not a double owner; a shard still on both is).
    /// </summary>
    public async Task<Result> RebalanceAsync(CancellationToken ct)
    {
        var cycles = options.Quick ? 2 : 5;
        var result = new Result(4, $"rebalances: a node joins and leaves {cycles} times mid-stream");
        await using var rig = await RigAsync("04-rebalance", ct);
        rig.StartNode(0, 2);
        rig.StartNode(1, 2);
        await rig.WaitReadyAsync(0, Ready, ct);
        await rig.WaitReadyAsync(1, Ready, ct);
        var traffic = new Traffic(rig, EventsTopic, "s4");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = traffic.RunAsync(0, 100, stop.Token);
        var watch = new ShardWatch();
        var watching = WatchShardsAsync(rig, watch, stop.Token);
        var faults = new List<DateTime>();
        int joins = 0, leaves = 0, joinerHeldShards = 0;
        for (var c = 0; c < cycles; c++)
        {
            await Task.Delay(TimeSpan.FromSeconds(3), ct);
            faults.Add(DateTime.UtcNow);
            rig.StartNode(2, 2);
            await rig.WaitReadyAsync(2, Ready, ct);
            joins++;
            // Leave once the joiner hosts device shards (the rebalance gave it partitions), or after 40 s.
            var port = ":" + rig.RemotingPort(2).ToString(CultureInfo.InvariantCulture);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(40);
            while (DateTime.UtcNow < until && !watch.HostsShards(port))
            {
                await Task.Delay(500, ct);
            }

            var held = watch.HostsShards(port);
            joinerHeldShards += held ? 1 : 0;
            await Task.Delay(TimeSpan.FromSeconds(2), ct);
            faults.Add(DateTime.UtcNow);
            var exit = await rig.Node(2)!.TerminateAsync(TimeSpan.FromSeconds(90), ct);
            result.Check(exit == 0, $"the joiner exited {exit} on SIGTERM in cycle {c + 1}");
            leaves++;
            log.WriteLine($"[04-rebalance] cycle {c + 1}/{cycles}: joined, hosted device shards: {held}, left");
        }

        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        await stop.CancelAsync();
        await running;
        await watching;
        await traffic.DrainAsync(TimeSpan.FromSeconds(8), ct);
        var counts = await Outcome.AwaitAsync(rig.BootstrapServers, traffic.Pairs.Select(p => p.Device).ToHashSet(StringComparer.Ordinal), Settle, ct);
        result.Record(counts);
        result.Figures["joins"] = joins;
        result.Figures["leaves"] = leaves;
        result.Figures["cycles_where_joiner_held_shards"] = joinerHeldShards;
        result.Figures["shard_polls"] = watch.Polls;
        result.Figures["shard_polls_failed"] = watch.Failed;
        result.Figures["shards_listed_twice_in_one_answer"] = watch.Transient;
        result.Figures["shards_on_two_nodes_confirmed"] = watch.Confirmed.Count;
        result.Figures["recovery_seconds"] = Recovery(traffic, counts, faults);
        result.Check(watch.Polls - watch.Failed >= 10, $"only {watch.Polls - watch.Failed} shard polls answered");
        result.Check(joinerHeldShards == cycles, $"the joiner hosted device shards in {joinerHeldShards} of {cycles} cycles");
        result.Check(watch.Confirmed.Count == 0, $"shards on two nodes at once: {string.Join(", ", watch.Confirmed)}");
        for (var i = 0; i < 2; i++)
        {
            result.Check(!rig.Node(i)!.HasExited, $"node{i} exited");
            await rig.ScrapeMetricsAsync(i, ct);
        }

        return result;
    }

    /// <summary>What the shard poll saw.</summary>
    private sealed class ShardWatch
    {
        private readonly Lock _gate = new();
        private Dictionary<string, HashSet<string>> _last = [];

        public int Polls { get; set; }

        public int Failed { get; set; }

        public int Transient { get; set; }

        public List<string> Confirmed { get; } = [];

        public bool HostsShards(string portSuffix)
        {
            lock (_gate)
            {
                return _last.Any(r => r.Key.EndsWith(portSuffix, StringComparison.Ordinal) && r.Value.Count > 0);
            }
        }

        public void Seen(Dictionary<string, HashSet<string>> regions)
        {
            lock (_gate)
            {
                _last = regions;
            }
        }
    }

    /// <summary>Shard id → the regions (addresses) listing it, from one answer of <c>/api/sharding/stats</c>.</summary>
    private static Dictionary<string, HashSet<string>> Regions(JsonNode? stats) =>
        (stats?["regions"]?.AsArray() ?? []).Where(r => r is not null)
            .ToDictionary(r => r!["address"]!.GetValue<string>(), r => (r!["shards"]?.AsObject() ?? []).Select(s => s.Key).ToHashSet(StringComparer.Ordinal), StringComparer.Ordinal);

    private static List<(string Shard, string Regions)> Doubles(Dictionary<string, HashSet<string>> regions) =>
        [.. regions.SelectMany(r => r.Value.Select(s => (Shard: s, Region: r.Key))).GroupBy(x => x.Shard)
            .Where(g => g.Count() > 1).Select(g => (g.Key, string.Join('+', g.Select(x => x.Region).Order(StringComparer.Ordinal))))];

    private async Task WatchShardsAsync(Rig rig, ShardWatch watch, CancellationToken ct)
    {
        while (!ct.IsCancellationRequested)
        {
            watch.Polls++;
            try
            {
                var regions = Regions(await rig.GetJsonAsync(0, "/api/sharding/stats", ct));
                watch.Seen(regions);
                var doubles = Doubles(regions);
                if (doubles.Count > 0)
                {
                    watch.Transient += doubles.Count;
                    var again = Doubles(Regions(await rig.GetJsonAsync(0, "/api/sharding/stats", ct)));
                    foreach (var d in doubles.Intersect(again))
                    {
                        watch.Confirmed.Add($"shard {d.Shard} on {d.Regions}");
                        log.WriteLine($"[04-rebalance] shard {d.Shard} on two regions twice in a row: {d.Regions}");
                    }
                }
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException)
            {
                // A region busy with a hand-off may not answer within the admin's timeout: counted, asked again.
                watch.Failed++;
            }

            try
            {
                await Task.Delay(500, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
