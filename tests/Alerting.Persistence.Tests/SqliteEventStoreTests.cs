using Alerting.Persistence.Sqlite;

namespace Alerting.Persistence.Tests;

/// <summary>The store contract on an SQLite file in WAL mode, one file per test class.</summary>
public sealed class SqliteEventStoreTests(SqliteFileFixture file) : EventStoreContractTests, IClassFixture<SqliteFileFixture>
{
    protected override IEventStore CreateStore(TimeProvider time) =>
        new SqliteEventStore(new SqliteEventStoreOptions { ConnectionString = file.ConnectionString }, time);

    [Fact]
    public async Task An_sqlite_store_must_put_its_file_in_wal_mode()
    {
        await Store.ReadHighestSequenceNrAsync("anything", Ct);
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection(file.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = "PRAGMA journal_mode;";
        Assert.Equal("wal", (string?)await cmd.ExecuteScalarAsync(Ct));
    }
}

/// <summary>A temporary SQLite file for one test class, deleted afterwards.</summary>
public sealed class SqliteFileFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("alerting-sqlite-").FullName;

    public string ConnectionString => $"Data Source={Path.Combine(_directory, "journal.db")};Pooling=True";

    public void Dispose()
    {
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
