using Alerting.Dispatch.Actors;
using Alerting.TestKit;
using Npgsql;
using Xunit.Abstractions;

namespace Alerting.Dispatch.Tests;

/// <summary>
/// The device entity contract on PostgreSQL (provider <c>PostgreSQL15</c>), in a database of its own on the server
/// named by <c>ALERTING_TEST_POSTGRES</c>.
/// </summary>
public sealed class PostgresDeviceEntitySpec : DeviceEntityContract, IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _database;

    public PostgresDeviceEntitySpec(PostgresFixture database, ITestOutputHelper output)
        : base(DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, database.ConnectionString), output)
    {
        _database = database;
    }

    protected override Task BreakJournalAsync() => ExecuteAsync("ALTER TABLE device_journal RENAME TO device_journal_unavailable");

    protected override Task RepairJournalAsync() => ExecuteAsync("ALTER TABLE device_journal_unavailable RENAME TO device_journal");

    protected override async Task<long> ScalarAsync(string sql, string persistenceId)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        command.Parameters.AddWithValue("pid", persistenceId);
        return Convert.ToInt64(await command.ExecuteScalarAsync(), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var command = _database.DataSource.CreateCommand(sql);
        await command.ExecuteNonQueryAsync();
    }
}
