namespace Alerting.Reliability;

/// <summary>Scenario 5: the database goes away, then gets slow.</summary>
public sealed partial class Scenarios
{
    /// <summary>
    /// 5. PostgreSQL stopped for 30 s under load, then slow: the nodes reach a PostgreSQL server of this scenario's
    /// own through a TCP proxy of the harness; the server is stopped at once (<c>pg_ctl -m immediate</c>) for 30 s and
    /// started again, then the proxy adds latency to every chunk both ways. While it is slow the node is killed
    /// (SIGKILL) and restarted: it resumes from the committed Kafka offsets, so an offset committed ahead of the
    /// state it stands for (a checkpoint or journal write that never made it) would show as a lost alert.
    /// </summary>
    public async Task<Result> PostgresDownAsync(CancellationToken ct)
    {
        var downFor = TimeSpan.FromSeconds(30);
        var latency = TimeSpan.FromMilliseconds(50);
        var result = new Result(5, "PostgreSQL stopped for 30 s, then slow");
        await using var pg = await PrivatePostgres.StartAsync(ct);
        await using var proxy = new LatencyProxy(pg.Port);
        await using var rig = await Rig.StartAsync("05-postgres-down", options.LogRoot, PrivatePostgres.ConnectionString(proxy.Port), canaries, log, ct);
        rig.StartNode(0);
        await rig.WaitReadyAsync(0, Ready, ct);
        var traffic = new Traffic(rig, EventsTopic, "s5");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var running = traffic.RunAsync(0, 100, stop.Token);
        await Task.Delay(TimeSpan.FromSeconds(8), ct);
        var faults = new List<DateTime> { DateTime.UtcNow };
        await pg.StopAsync(ct);
        log.WriteLine("[05-postgres-down] PostgreSQL stopped");
        await Task.Delay(downFor, ct);
        await pg.StartAgainAsync(ct);
        // The harness's own pooled connections died with the server (the rig drops its database at the end).
        Npgsql.NpgsqlConnection.ClearAllPools();
        var up = DateTime.UtcNow;
        log.WriteLine("[05-postgres-down] PostgreSQL started again");
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        var exitedDuringOutage = rig.Node(0)!.HasExited;
        proxy.Latency = latency;
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        faults.Add(DateTime.UtcNow);
        if (!rig.Node(0)!.HasExited)
        {
            await rig.Node(0)!.KillAsync();
        }

        rig.StartNode(0);
        await rig.WaitReadyAsync(0, Ready, ct);
        await Task.Delay(TimeSpan.FromSeconds(15), ct);
        proxy.Latency = TimeSpan.Zero;
        await Task.Delay(TimeSpan.FromSeconds(5), ct);
        await stop.CancelAsync();
        await running;
        var counts = await OutcomeAsync(rig, traffic, ct);
        result.Record(counts);
        TraceLost(rig, counts);
        result.Figures["postgres_down_seconds"] = Math.Round((up - faults[0]).TotalSeconds, 1);
        result.Figures["added_latency_ms_per_chunk_each_way"] = latency.TotalMilliseconds;
        result.Figures["proxy_connections"] = proxy.Connections;
        result.Figures["proxy_connections_refused"] = proxy.Refused;
        result.Figures["recovery_seconds"] = Recovery(traffic, counts, faults);
        result.Figures["node_exited_during_outage"] = exitedDuringOutage;
        result.Figures["application_restarts"] = CountLines(rig.LogDir, "node0", "[1103]") + CountLines(rig.LogDir, "node0", "[1302]");
        result.Check(!exitedDuringOutage, "the node exited while PostgreSQL was down");
        await rig.ScrapeMetricsAsync(0, ct);
        result.Check(await rig.Node(0)!.TerminateAsync(TimeSpan.FromSeconds(60), ct) == 0, "the node did not exit 0 on SIGTERM");
        return result;
    }
}
