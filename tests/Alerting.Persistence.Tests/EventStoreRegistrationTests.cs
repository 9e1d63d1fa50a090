using Alerting.Persistence.Postgres;
using Alerting.Persistence.Sqlite;
using Alerting.TestKit;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace Alerting.Persistence.Tests;

public sealed class EventStoreRegistrationTests(PostgresFixture postgres) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task AddPostgresEventStore_uses_the_registered_data_source_and_a_working_store()
    {
        var services = new ServiceCollection();
        services.AddSingleton(postgres.DataSource);
        services.AddPostgresEventStore("Host=unused.invalid");
        await using var provider = services.BuildServiceProvider();

        Assert.Same(postgres.DataSource, provider.GetRequiredService<NpgsqlDataSource>());
        var store = provider.GetRequiredService<IEventStore>();
        Assert.IsType<PostgresEventStore>(store);
        await store.WriteAsync([new JournalWrite("di-1", "p", 1, "T:1", [1])], [], CancellationToken.None);
        Assert.Equal(1, await store.ReadHighestSequenceNrAsync("di-1", CancellationToken.None));
    }

    [Fact]
    public void AddPostgresEventStore_rejects_invalid_options_at_registration()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            new ServiceCollection().AddPostgresEventStore("Host=x", new PostgresEventStoreOptions { CopyThreshold = 0 }));
    }

    [Fact]
    public async Task AddSqliteEventStore_registers_a_working_sqlite_store()
    {
        var directory = Directory.CreateTempSubdirectory("alerting-di-");
        try
        {
            var services = new ServiceCollection();
            services.AddSqliteEventStore(new SqliteEventStoreOptions { ConnectionString = $"Data Source={Path.Combine(directory.FullName, "j.db")}" });
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<IEventStore>();
            Assert.IsType<SqliteEventStore>(store);
            await store.WriteAsync([], [new ConsumerOffset("g", "t", 2, 42)], CancellationToken.None);
            Assert.Equal(42, (await store.ReadOffsetsAsync("g", "t", CancellationToken.None))[2]);
        }
        finally
        {
            Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
            directory.Delete(recursive: true);
        }
    }
}
