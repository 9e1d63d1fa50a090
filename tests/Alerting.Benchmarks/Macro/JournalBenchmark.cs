using System.Diagnostics;
using System.Globalization;
using Alerting.Benchmarks.Harness;
using Alerting.Persistence;
using Alerting.Persistence.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// The PostgreSQL journal against its baseline, in one fresh database: events/s appended through
/// <see cref="PostgresEventStore.WriteAsync"/> in batches of 1, 100 and 1,000 (each batch with one consumer offset,
/// as the dispatcher writes them), raw binary COPY of the same rows in 1,000-row statements into a table of the
/// same shape (same columns, primary key and index), and events/s read back by bulk partition recovery.
/// </summary>
public sealed class JournalBenchmark : IMacroBenchmark
{
    private const int Devices = 1000;
    private const int Partitions = 8;

    /// <inheritdoc />
    public string Name => "journal";

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var server = context.PostgresConnectionString
            ?? throw new InvalidOperationException("The journal benchmark needs PostgreSQL: set ALERTING_TEST_POSTGRES.");
        var database = string.Create(CultureInfo.InvariantCulture, $"alerting_bench_{Guid.NewGuid():N}");
        await ExecuteAsync(server, $"CREATE DATABASE \"{database}\"", cancellationToken);
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(server) { Database = database };
            await using var dataSource = NpgsqlDataSource.Create(builder.ConnectionString);
            return await RunInAsync(dataSource, context, cancellationToken);
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyDictionary<string, double>> RunInAsync(NpgsqlDataSource dataSource, BenchContext context, CancellationToken ct)
    {
        var store = new PostgresEventStore(dataSource);
        await store.ApplySchemaAsync(ct);
        await using (var cmd = dataSource.CreateCommand("CREATE TABLE raw_journal (LIKE journal INCLUDING ALL)"))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        var payload = new byte[120];
        new Random(7).NextBytes(payload);

        var n1000 = context.Size(500_000, 20_000);
        var n100 = context.Size(200_000, 5_000);
        var n1 = context.Size(20_000, 1_000);

        // Warm both paths (JIT, connections, prepared plans) on ids the measured phases do not use.
        await AppendAsync(store, Batches("warm", 5_000, 1000, payload), ct);
        await CopyAsync(dataSource, Batches("warm", 5_000, 1000, payload), ct);

        // COPY and append take turns in rounds, so drift of a shared machine hits both alike.
        var rounds = context.Size(5, 2);
        var batches1000 = Batches("d", n1000, 1000, payload);
        var perRound = (batches1000.Count + rounds - 1) / rounds;
        TimeSpan copyTime = default, appendTime = default, copyCpu = default, appendCpu = default;
        for (var r = 0; r < rounds; r++)
        {
            var chunk = batches1000.Skip(r * perRound).Take(perRound).ToList();
            var cpu = await CpuSample.TakeAsync(dataSource, ct);
            copyTime += await CopyAsync(dataSource, chunk, ct);
            var cpu2 = await CpuSample.TakeAsync(dataSource, ct);
            appendTime += await AppendAsync(store, chunk, ct);
            var cpu3 = await CpuSample.TakeAsync(dataSource, ct);
            copyCpu += cpu2 - cpu;
            appendCpu += cpu3 - cpu2;
        }
        var copy = n1000 / copyTime.TotalSeconds;
        var append1000 = n1000 / appendTime.TotalSeconds;
        context.Log.WriteLine($"[journal] raw COPY x1000: {copy:N0} events/s");
        context.Log.WriteLine($"[journal] append x1000: {append1000:N0} events/s ({append1000 / copy:P0} of COPY)");
        var append100 = n100 / (await AppendAsync(store, Batches("h", n100, 100, payload), ct)).TotalSeconds;
        context.Log.WriteLine($"[journal] append x100: {append100:N0} events/s");
        var append1 = n1 / (await AppendAsync(store, Batches("o", n1, 1, payload), ct)).TotalSeconds;
        context.Log.WriteLine($"[journal] append x1: {append1:N0} events/s");

        await using (var cmd = dataSource.CreateCommand("VACUUM ANALYZE journal"))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        // Best of three passes over the whole journal (the first also warms the server's cache).
        long replayEvents = 0;
        var replayTime = TimeSpan.MaxValue;
        var replayCpu = TimeSpan.MaxValue;
        for (var pass = 0; pass < 3; pass++)
        {
            var cpuStart = await CpuSample.TakeAsync(dataSource, ct);
            var (events, elapsed) = await ReplayAsync(store, n1000 + n100 + n1, ct);
            var cpuEnd = await CpuSample.TakeAsync(dataSource, ct);
            context.Log.WriteLine($"[journal] bulk replay pass {pass + 1}: {events:N0} events in {elapsed.TotalSeconds:F2}s, " +
                $"CPU {(cpuEnd - cpuStart).TotalSeconds:F2}s of which this process {(cpuEnd.Client - cpuStart.Client).TotalSeconds:F2}s");
            replayEvents = events;
            replayTime = elapsed < replayTime ? elapsed : replayTime;
            replayCpu = cpuEnd - cpuStart < replayCpu ? cpuEnd - cpuStart : replayCpu;
        }
        var replay = replayEvents / replayTime.TotalSeconds;
        context.Log.WriteLine($"[journal] bulk replay: {replay:N0} events/s");

        return new Dictionary<string, double>
        {
            ["journal_append_per_sec"] = Math.Round(append1000),
            ["journal_append_batch100_per_sec"] = Math.Round(append100),
            ["journal_append_batch1_per_sec"] = Math.Round(append1),
            ["raw_copy_per_sec"] = Math.Round(copy),
            ["journal_append_vs_copy"] = Math.Round(append1000 / copy, 3),
            ["replay_events_per_sec"] = Math.Round(replay),
            // Load-independent view on a shared machine: events per CPU-second of this process plus its PostgreSQL
            // backends (background writers not included); absent when the server's /proc is not readable.
            ["raw_copy_per_cpu_sec"] = PerCpu(n1000, copyCpu),
            ["journal_append_per_cpu_sec"] = PerCpu(n1000, appendCpu),
            ["replay_events_per_cpu_sec"] = PerCpu(replayEvents, replayCpu),
        }.Where(kv => !double.IsNaN(kv.Value)).ToDictionary();
    }

    /// <summary>
    /// <paramref name="count"/> events over <see cref="Devices"/> persistence ids (prefix <paramref name="prefix"/>), cut
    /// into batches of <paramref name="batchSize"/> as the dispatcher writes them: each batch holds events of one
    /// partition's devices (round-robin over them) and that partition's consumer offset; partitions take turns.
    /// </summary>
    private static List<(List<JournalWrite> Events, ConsumerOffset Offset)> Batches(string prefix, int count, int batchSize, byte[] payload)
    {
        var ids = Enumerable.Range(0, Devices).Select(d => $"{prefix}-device-{d}").ToArray();
        var partitions = Enumerable.Range(0, Partitions).Select(p => $"alerts-{p}").ToArray();
        var next = new long[Devices];
        var cursor = new int[Partitions];
        var result = new List<(List<JournalWrite>, ConsumerOffset)>(count / batchSize + 1);
        for (var start = 0; start < count; start += batchSize)
        {
            var partition = result.Count % Partitions;
            var events = new List<JournalWrite>(batchSize);
            for (var k = start; k < Math.Min(count, start + batchSize); k++)
            {
                // Devices of partition p are p, p + Partitions, p + 2 * Partitions, ...
                var device = partition + cursor[partition]++ % (Devices / Partitions) * Partitions;
                events.Add(new JournalWrite(ids[device], partitions[partition], ++next[device], "AlertRaised:1", payload));
            }
            result.Add((events, new ConsumerOffset(prefix, "alerts", partition, start + batchSize)));
        }
        return result;
    }

    private static async Task<TimeSpan> AppendAsync(PostgresEventStore store, List<(List<JournalWrite> Events, ConsumerOffset Offset)> batches, CancellationToken ct)
    {
        var sw = Stopwatch.StartNew();
        foreach (var (batch, offset) in batches)
        {
            await store.WriteAsync(batch, [offset], ct);
        }
        return sw.Elapsed;
    }

    /// <summary>The baseline: one binary COPY statement per batch into raw_journal, nothing else.</summary>
    private static async Task<TimeSpan> CopyAsync(NpgsqlDataSource dataSource, List<(List<JournalWrite> Events, ConsumerOffset Offset)> batches, CancellationToken ct)
    {
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var sw = Stopwatch.StartNew();
        foreach (var (batch, _) in batches)
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY raw_journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var e in batch)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(e.PersistenceId, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(e.SequenceNr, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(e.PartitionKey, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(now, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(e.Manifest, NpgsqlDbType.Text, ct);
                await importer.WriteAsync(e.Payload, NpgsqlDbType.Bytea, ct);
            }
            await importer.CompleteAsync(ct);
        }
        return sw.Elapsed;
    }

    private static double PerCpu(long events, TimeSpan cpu) => cpu > TimeSpan.Zero ? Math.Round(events / cpu.TotalSeconds) : double.NaN;

    /// <summary>Bulk recovery of every partition, one after the other; checks the event count.</summary>
    private static async Task<(long Events, TimeSpan Elapsed)> ReplayAsync(PostgresEventStore store, int expected, CancellationToken ct)
    {
        long events = 0;
        var sw = Stopwatch.StartNew();
        for (var p = 0; p < Partitions; p++)
        {
            await foreach (var entity in store.RecoverPartitionAsync($"alerts-{p}", ct))
            {
                events += entity.Events.Count;
            }
        }
        var elapsed = sw.Elapsed;
        if (events < expected)
        {
            throw new InvalidOperationException($"Bulk recovery read {events} events, expected at least {expected}.");
        }
        return (events, elapsed);
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }

    /// <summary>
    /// CPU time used so far by this process and by the PostgreSQL backends serving the benchmark database (read from
    /// /proc, so only when the server runs on this machine); zero server time when unreadable.
    /// </summary>
    private readonly record struct CpuSample(TimeSpan Client, Dictionary<int, long> BackendTicks)
    {
        private const double TicksPerSecond = 100; // Linux USER_HZ

        public static async Task<CpuSample> TakeAsync(NpgsqlDataSource dataSource, CancellationToken ct)
        {
            var ticks = new Dictionary<int, long>();
            await using (var cmd = dataSource.CreateCommand("SELECT pid FROM pg_stat_activity WHERE datname = current_database()"))
            await using (var reader = await cmd.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var pid = reader.GetInt32(0);
                    if (ReadTicks(pid) is { } t)
                    {
                        ticks[pid] = t;
                    }
                }
            }
            using var self = Process.GetCurrentProcess();
            return new CpuSample(self.TotalProcessorTime, ticks);
        }

        public static TimeSpan operator -(CpuSample after, CpuSample before)
        {
            var serverTicks = after.BackendTicks.Sum(kv => kv.Value - before.BackendTicks.GetValueOrDefault(kv.Key));
            return after.Client - before.Client + TimeSpan.FromSeconds(serverTicks / TicksPerSecond);
        }

        private static long? ReadTicks(int pid)
        {
            try
            {
                var stat = File.ReadAllText($"/proc/{pid}/stat");
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                // After "pid (comm) ", field 0 is state; utime and stime are fields 11 and 12.
                return long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
            {
                return null;
            }
        }
    }
}
