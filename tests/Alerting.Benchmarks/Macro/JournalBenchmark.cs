using System.Diagnostics;
using System.Globalization;
using Akka.Alerting.Benchmarks.Harness;
using Akka.Alerting.Persistence;
using Akka.Alerting.Persistence.Postgres;
using Npgsql;
using NpgsqlTypes;

namespace Akka.Alerting.Benchmarks.Macro;

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
        TimeSpan copyTime = default, appendTime = default;
        for (var r = 0; r < rounds; r++)
        {
            var chunk = batches1000.Skip(r * perRound).Take(perRound).ToList();
            copyTime += await CopyAsync(dataSource, chunk, ct);
            appendTime += await AppendAsync(store, chunk, ct);
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
        var replay = await ReplayAsync(store, n1000 + n100 + n1, ct);
        context.Log.WriteLine($"[journal] bulk replay: {replay:N0} events/s");

        return new Dictionary<string, double>
        {
            ["journal_append_per_sec"] = Math.Round(append1000),
            ["journal_append_batch100_per_sec"] = Math.Round(append100),
            ["journal_append_batch1_per_sec"] = Math.Round(append1),
            ["raw_copy_per_sec"] = Math.Round(copy),
            ["journal_append_vs_copy"] = Math.Round(append1000 / copy, 3),
            ["replay_events_per_sec"] = Math.Round(replay),
        };
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

    /// <summary>Bulk recovery of every partition, one after the other; checks the event count.</summary>
    private static async Task<double> ReplayAsync(PostgresEventStore store, int expected, CancellationToken ct)
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
        var rate = events / sw.Elapsed.TotalSeconds;
        if (events < expected)
        {
            throw new InvalidOperationException($"Bulk recovery read {events} events, expected at least {expected}.");
        }
        return rate;
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken ct)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(ct);
        await using var cmd = new NpgsqlCommand(sql, connection);
        await cmd.ExecuteNonQueryAsync(ct);
    }
}
