using Alerting.Enrichment.Sqlite;
using Microsoft.Data.Sqlite;

namespace Alerting.Enrichment.Tests;

/// <summary>The store contract on an SQLite file, one file per class.</summary>
public sealed class SqliteDeviceConfigStoreSpec(SqliteFileFixture file) : DeviceConfigStoreContract, IClassFixture<SqliteFileFixture>
{
    protected override IDeviceConfigStore CreateStore() =>
        new SqliteDeviceConfigStore(file.ConnectionString, new DeviceConfigStoreOptions(AutoInitialize: true));

    protected override async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(file.ConnectionString);
        await connection.OpenAsync(Ct);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        await cmd.ExecuteNonQueryAsync(Ct);
    }

    protected override string OverridesLiteral(params string[] types) => "'[" + string.Join(",", types.Select(t => $"\"{t}\"")) + "]'";

    [Fact]
    public async Task An_sqlite_store_must_fail_with_a_non_transient_error_when_its_schema_was_not_applied()
    {
        using var empty = new SqliteFileFixture();
        var store = new SqliteDeviceConfigStore(empty.ConnectionString);

        var error = await Assert.ThrowsAsync<SqliteException>(() => store.LoadAsync(["x"], Ct));

        Assert.Contains("no such table", error.Message, StringComparison.Ordinal);
        Assert.False(TransientFailures.IsTransient(error));
    }
}

/// <summary>A temporary SQLite file, deleted afterwards.</summary>
public sealed class SqliteFileFixture : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("alerting-enrich-sqlite-").FullName;

    public string ConnectionString => $"Data Source={Path.Combine(_directory, "devices.db")};Pooling=True";

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }
}
