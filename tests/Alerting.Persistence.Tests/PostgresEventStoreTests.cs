using Alerting.Persistence.Postgres;
using Alerting.TestKit;
using Npgsql;

namespace Alerting.Persistence.Tests;

/// <summary>The store contract on PostgreSQL, in this class's own database, plus what only PostgreSQL shows.</summary>
public sealed class PostgresEventStoreTests(PostgresFixture postgres) : EventStoreContractTests, IClassFixture<PostgresFixture>
{
    protected override IEventStore CreateStore(TimeProvider time) => new PostgresEventStore(postgres.DataSource, timeProvider: time);

    [Fact]
    public async Task A_postgres_journal_must_report_a_deadlock_between_crossing_writers_as_a_concurrency_failure()
    {
        var x = $"x-{Guid.NewGuid():N}";
        var y = $"y-{Guid.NewGuid():N}";
        await Store.ReadHighestSequenceNrAsync(x, Ct); // schema in place
        await using var rival = await postgres.DataSource.OpenConnectionAsync(Ct);
        await using var tx = await rival.BeginTransactionAsync(Ct);
        // The rival checks for deadlocks late, so the store's session (1 s) is the one that finds the cycle and is aborted.
        await using (var slow = new NpgsqlCommand("SET LOCAL deadlock_timeout = '60s'", rival, tx))
        {
            await slow.ExecuteNonQueryAsync(Ct);
        }
        await InsertAsync(rival, tx, y);

        // The store's batch takes x, then waits for the rival's uncommitted y; the rival then asks for x.
        var write = Store.WriteAsync([new JournalWrite(x, "p", 1, "T:1", [1]), new JournalWrite(y, "p", 1, "T:1", [1])], [], Ct);
        while (!await SomeoneWaitsForALockAsync())
        {
            Assert.False(write.IsCompleted, "The store's write should wait for the rival's lock.");
            await Task.Delay(20, Ct);
        }
        var rivalInsert = InsertAsync(rival, tx, x);

        await Assert.ThrowsAsync<JournalConcurrencyException>(() => write);
        await rivalInsert;
        await tx.CommitAsync(Ct);
        Assert.Equal(1, await Store.ReadHighestSequenceNrAsync(x, Ct));
        await foreach (var e in Store.ReplayAsync(x, 1, 1, 1, Ct))
        {
            Assert.Equal([2], e.Payload); // the rival's event, not the aborted batch's
        }
    }

    private async Task<bool> SomeoneWaitsForALockAsync()
    {
        await using var cmd = postgres.DataSource.CreateCommand(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'");
        return (long)(await cmd.ExecuteScalarAsync(Ct))! > 0;
    }

    private async Task InsertAsync(NpgsqlConnection connection, NpgsqlTransaction tx, string id)
    {
        await using var cmd = new NpgsqlCommand(
            "INSERT INTO journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload) VALUES ($1, 1, 'p', 0, 'T:1', $2)",
            connection, tx);
        cmd.Parameters.Add(new NpgsqlParameter<string> { TypedValue = id });
        cmd.Parameters.Add(new NpgsqlParameter<byte[]> { TypedValue = [2] });
        await cmd.ExecuteNonQueryAsync(Ct);
    }
}
