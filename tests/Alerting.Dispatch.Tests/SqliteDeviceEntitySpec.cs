using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests;

/// <summary>The device entity contract on an SQLite file (provider <c>SQLite.MS</c>), one file per test.</summary>
public sealed class SqliteDeviceEntitySpec : DeviceEntityContract, IDisposable
{
    private static readonly AsyncLocal<string> NextPath = new();
    private readonly string _path;

    public SqliteDeviceEntitySpec(ITestOutputHelper output)
        : base(CreateConfig(), output)
    {
        _path = NextPath.Value!;
    }

    private static Config CreateConfig()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerting-entity-{Guid.NewGuid():N}.db");
        NextPath.Value = path;
        return DispatchPersistence.Hocon(DispatchPersistenceProvider.Sqlite, ConnectionString(path));
    }

    private static string ConnectionString(string path) => new SqliteConnectionStringBuilder { DataSource = path }.ConnectionString;

    protected override Task BreakJournalAsync() => ExecuteAsync("ALTER TABLE device_journal RENAME TO device_journal_unavailable");

    protected override Task RepairJournalAsync() => ExecuteAsync("ALTER TABLE device_journal_unavailable RENAME TO device_journal");

    protected override async Task<long> ScalarAsync(string sql, string persistenceId)
    {
        await using var connection = new SqliteConnection(ConnectionString(_path));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.Parameters.AddWithValue("@pid", persistenceId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(ConnectionString(_path));
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    protected override void Dispose(bool disposing)
    {
        base.Dispose(disposing);
        if (disposing)
        {
            SqliteConnection.ClearAllPools();
            foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
            {
                File.Delete(file);
            }
        }
    }
}
