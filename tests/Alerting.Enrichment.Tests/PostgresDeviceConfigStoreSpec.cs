using Alerting.Enrichment.Postgres;
using Alerting.TestKit;
using Npgsql;

namespace Alerting.Enrichment.Tests;

/// <summary>The store contract on the PostgreSQL test server, one database per class.</summary>
public sealed class PostgresDeviceConfigStoreSpec(PostgresFixture postgres) : DeviceConfigStoreContract, IClassFixture<PostgresFixture>
{
    protected override IDeviceConfigStore CreateStore() =>
        new PostgresDeviceConfigStore(postgres.DataSource, new DeviceConfigStoreOptions(AutoInitialize: true));

    protected override async Task ExecuteAsync(string sql)
    {
        await using var cmd = postgres.DataSource.CreateCommand(sql);
        await cmd.ExecuteNonQueryAsync(Ct);
    }

    protected override string OverridesLiteral(params string[] types) => "ARRAY[" + string.Join(", ", types.Select(t => $"'{t}'")) + "]::text[]";

    [Fact]
    public async Task A_postgres_store_must_store_overrides_as_a_text_array()
    {
        var store = CreateStore();
        await store.UpsertAsync([new("pg-array-1", 1, 1, null, null, ["A", "B"])], Ct);

        await using var cmd = postgres.DataSource.CreateCommand("SELECT overrides FROM device_sla WHERE device_id = 'pg-array-1'");
        var overrides = (string[])(await cmd.ExecuteScalarAsync(Ct))!;

        Assert.Equal(["A", "B"], overrides);
    }

    [Fact]
    public async Task A_postgres_store_must_fail_without_retrying_when_its_table_is_missing()
    {
        await using var other = NpgsqlDataSource.Create(postgres.ConnectionString);
        await using (var create = other.CreateCommand("CREATE SCHEMA IF NOT EXISTS empty_schema"))
        {
            await create.ExecuteNonQueryAsync(Ct);
        }
        var builder = new NpgsqlDataSourceBuilder(postgres.ConnectionString);
        builder.ConnectionStringBuilder.SearchPath = "empty_schema";
        await using var emptySchema = builder.Build();
        var store = new PostgresDeviceConfigStore(emptySchema);

        var error = await Assert.ThrowsAsync<PostgresException>(() => store.LoadAsync(["x"], Ct));

        Assert.Equal(PostgresErrorCodes.UndefinedTable, error.SqlState);
        Assert.False(TransientFailures.IsTransient(error));
    }
}
