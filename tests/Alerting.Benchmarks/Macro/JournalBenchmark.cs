using System.Collections.Immutable;
using System.Diagnostics;
using System.Globalization;
using Akka.Actor;
using Akka.Persistence;
using Alerting.Benchmarks.Harness;
using Alerting.Dispatch.Actors;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// The device entities' journal (Akka.Persistence.Sql on PostgreSQL, configured as the service configures it:
/// <see cref="DispatchPersistence.Hocon"/>) against its baseline, in one fresh database: events/s appended through
/// the journal actor's <see cref="WriteMessages"/> in batches of 1, 100 and 1,000 events of many devices (one batch
/// at a time, as a delivery's commit interval hands them over), raw binary COPY of the same rows in 1,000-row
/// statements into a table of the journal's shape (same columns, keys and indexes), and events/s read back by
/// replaying every device's events through the journal (<see cref="ReplayMessages"/>, 16 devices at once).
/// </summary>
public sealed class JournalBenchmark : IMacroBenchmark
{
    private const int Devices = 1000;
    private const int ReplayParallelism = 16;
    private const string Table = "device_journal";

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
            var system = ActorSystem.Create("journal-bench", DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, builder.ConnectionString));
            try
            {
                return await RunInAsync(system, dataSource, context, cancellationToken);
            }
            finally
            {
                await system.Terminate();
            }
        }
        finally
        {
            NpgsqlConnection.ClearAllPools();
            await ExecuteAsync(server, $"DROP DATABASE IF EXISTS \"{database}\" WITH (FORCE)", CancellationToken.None);
        }
    }

    private static async Task<IReadOnlyDictionary<string, double>> RunInAsync(ActorSystem system, NpgsqlDataSource dataSource, BenchContext context, CancellationToken ct)
    {
        var journal = Persistence.Instance.Apply(system).JournalFor(null);
        var payload = new byte[120];
        new Random(7).NextBytes(payload);

        var n1000 = context.Size(500_000, 20_000);
        var n100 = context.Size(200_000, 5_000);
        var n1 = context.Size(20_000, 1_000);

        // Warm both paths (JIT, connections, the journal's table creation) on ids the measured phases do not use.
        await AppendAsync(system, journal, Batches("warm", 5_000, 1000), payload, ct);
        await using (var cmd = dataSource.CreateCommand($"CREATE TABLE raw_journal (LIKE {Table} INCLUDING ALL)"))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        await CopyAsync(dataSource, Batches("warm", 5_000, 1000), payload, ct);

        // COPY and append take turns in rounds, so drift of a shared machine hits both alike.
        var rounds = context.Size(5, 2);
        var batches1000 = Batches("d", n1000, 1000);
        var perRound = (batches1000.Count + rounds - 1) / rounds;
        TimeSpan copyTime = default, appendTime = default, copyCpu = default, appendCpu = default;
        for (var r = 0; r < rounds; r++)
        {
            var chunk = batches1000.Skip(r * perRound).Take(perRound).ToList();
            var cpu = await CpuSample.TakeAsync(dataSource, ct);
            copyTime += await CopyAsync(dataSource, chunk, payload, ct);
            var cpu2 = await CpuSample.TakeAsync(dataSource, ct);
            appendTime += await AppendAsync(system, journal, chunk, payload, ct);
            var cpu3 = await CpuSample.TakeAsync(dataSource, ct);
            copyCpu += cpu2 - cpu;
            appendCpu += cpu3 - cpu2;
        }
        var copy = n1000 / copyTime.TotalSeconds;
        var append1000 = n1000 / appendTime.TotalSeconds;
        context.Log.WriteLine($"[journal] raw COPY x1000: {copy:N0} events/s");
        context.Log.WriteLine($"[journal] append x1000: {append1000:N0} events/s ({append1000 / copy:P0} of COPY)");
        var append100 = n100 / (await AppendAsync(system, journal, Batches("h", n100, 100), payload, ct)).TotalSeconds;
        context.Log.WriteLine($"[journal] append x100: {append100:N0} events/s");
        var append1 = n1 / (await AppendAsync(system, journal, Batches("o", n1, 1), payload, ct)).TotalSeconds;
        context.Log.WriteLine($"[journal] append x1: {append1:N0} events/s");

        await using (var cmd = dataSource.CreateCommand($"VACUUM ANALYZE {Table}"))
        {
            await cmd.ExecuteNonQueryAsync(ct);
        }
        // Best of three passes over the devices of the measured phases (the first also warms the server's cache).
        var ids = new[] { "d", "h", "o" }.SelectMany(prefix => Enumerable.Range(0, Devices).Select(d => DeviceId(prefix, d))).ToList();
        long replayEvents = 0;
        var replayTime = TimeSpan.MaxValue;
        var replayCpu = TimeSpan.MaxValue;
        for (var pass = 0; pass < 3; pass++)
        {
            var cpuStart = await CpuSample.TakeAsync(dataSource, ct);
            var (events, elapsed) = await ReplayAsync(system, journal, ids, n1000 + n100 + n1, ct);
            var cpuEnd = await CpuSample.TakeAsync(dataSource, ct);
            context.Log.WriteLine($"[journal] replay pass {pass + 1}: {events:N0} events in {elapsed.TotalSeconds:F2}s, " +
                $"CPU {(cpuEnd - cpuStart).TotalSeconds:F2}s of which this process {(cpuEnd.Client - cpuStart.Client).TotalSeconds:F2}s");
            replayEvents = events;
            replayTime = elapsed < replayTime ? elapsed : replayTime;
            replayCpu = cpuEnd - cpuStart < replayCpu ? cpuEnd - cpuStart : replayCpu;
        }
        var replay = replayEvents / replayTime.TotalSeconds;
        context.Log.WriteLine($"[journal] replay: {replay:N0} events/s");

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

    private static string DeviceId(string prefix, int device) => string.Create(CultureInfo.InvariantCulture, $"{prefix}-device-{device}");

    /// <summary>
    /// <paramref name="count"/> events over <see cref="Devices"/> persistence ids (prefix <paramref name="prefix"/>),
    /// round-robin, cut into batches of <paramref name="batchSize"/>.
    /// </summary>
    private static List<List<(string PersistenceId, long SequenceNr)>> Batches(string prefix, int count, int batchSize)
    {
        var ids = Enumerable.Range(0, Devices).Select(d => DeviceId(prefix, d)).ToArray();
        var next = new long[Devices];
        var result = new List<List<(string, long)>>(count / batchSize + 1);
        for (var start = 0; start < count; start += batchSize)
        {
            var events = new List<(string, long)>(batchSize);
            for (var k = start; k < Math.Min(count, start + batchSize); k++)
            {
                var device = k % Devices;
                events.Add((ids[device], ++next[device]));
            }
            result.Add(events);
        }
        return result;
    }

    /// <summary>Writes the batches one after the other through the journal actor, each waited for.</summary>
    private static async Task<TimeSpan> AppendAsync(ActorSystem system, IActorRef journal, List<List<(string PersistenceId, long SequenceNr)>> batches, byte[] payload, CancellationToken ct)
    {
        var writer = Guid.NewGuid().ToString();
        var sw = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var replies = system.ActorOf(Props.Create(() => new JournalReplies(done, batch.Count)));
            var writes = batch.Select(e => (IPersistentEnvelope)new AtomicWrite(new Persistent(payload, e.SequenceNr, e.PersistenceId, string.Empty, false, ActorRefs.NoSender, writer))).ToList();
            journal.Tell(new WriteMessages(writes, replies, 1));
            await done.Task.WaitAsync(ct);
        }
        return sw.Elapsed;
    }

    /// <summary>The baseline: one binary COPY statement per batch into raw_journal, nothing else.</summary>
    private static async Task<TimeSpan> CopyAsync(NpgsqlDataSource dataSource, List<List<(string PersistenceId, long SequenceNr)>> batches, byte[] payload, CancellationToken ct)
    {
        var writer = Guid.NewGuid().ToString();
        await using var connection = await dataSource.OpenConnectionAsync(ct);
        var now = DateTime.UtcNow.Ticks;
        var sw = Stopwatch.StartNew();
        foreach (var batch in batches)
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                "COPY raw_journal (persistence_id, sequence_number, created, message, identifier, manifest, writer_uuid, deleted) FROM STDIN (FORMAT BINARY)", ct);
            foreach (var (id, sequenceNr) in batch)
            {
                await importer.StartRowAsync(ct);
                await importer.WriteAsync(id, NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(sequenceNr, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(now, NpgsqlDbType.Bigint, ct);
                await importer.WriteAsync(payload, NpgsqlDbType.Bytea, ct);
                await importer.WriteAsync(4, NpgsqlDbType.Integer, ct); // Akka's byte-array serializer
                await importer.WriteAsync(string.Empty, NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(writer, NpgsqlDbType.Varchar, ct);
                await importer.WriteAsync(false, NpgsqlDbType.Boolean, ct);
            }
            await importer.CompleteAsync(ct);
        }
        return sw.Elapsed;
    }

    private static double PerCpu(long events, TimeSpan cpu) => cpu > TimeSpan.Zero ? Math.Round(events / cpu.TotalSeconds) : double.NaN;

    /// <summary>Replays every device's events through the journal, <see cref="ReplayParallelism"/> at once; checks the event count.</summary>
    private static async Task<(long Events, TimeSpan Elapsed)> ReplayAsync(ActorSystem system, IActorRef journal, List<string> ids, int expected, CancellationToken ct)
    {
        long events = 0;
        var sw = Stopwatch.StartNew();
        await Parallel.ForEachAsync(ids, new ParallelOptions { MaxDegreeOfParallelism = ReplayParallelism, CancellationToken = ct }, async (id, token) =>
        {
            var done = new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously);
            var replies = system.ActorOf(Props.Create(() => new JournalReplies(done, 0)));
            journal.Tell(new ReplayMessages(1, long.MaxValue, long.MaxValue, id, replies));
            Interlocked.Add(ref events, await done.Task.WaitAsync(token));
        });
        var elapsed = sw.Elapsed;
        if (events < expected)
        {
            throw new InvalidOperationException($"Replay read {events} events, expected at least {expected}.");
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
    /// Stands in for the persistent actor the journal answers: completes with the number of replayed events at
    /// <see cref="RecoverySuccess"/>, or once every one of <paramref name="writes"/> events is confirmed written; fails on
    /// any failure or rejection.
    /// </summary>
    private sealed class JournalReplies : ReceiveActor
    {
        public JournalReplies(TaskCompletionSource<long> done, int writes)
        {
            long count = 0;
            Receive<WriteMessagesSuccessful>(_ => { });
            Receive<WriteMessageSuccess>(_ =>
            {
                if (++count == writes)
                {
                    done.TrySetResult(count);
                    Context.Stop(Self);
                }
            });
            Receive<ReplayedMessage>(_ => count++);
            Receive<RecoverySuccess>(_ =>
            {
                done.TrySetResult(count);
                Context.Stop(Self);
            });
            ReceiveAny(message =>
            {
                done.TrySetException(new InvalidOperationException($"the journal answered {message}"));
                Context.Stop(Self);
            });
        }
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
