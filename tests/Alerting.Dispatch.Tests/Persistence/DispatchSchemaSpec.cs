using Akka.Actor;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Persistence;
using Alerting.TestKit;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alerting.Dispatch.Tests.Persistence;

/// <summary>
/// <c>alertctl db migrate</c>'s work: the dispatcher's tables created ahead of time, and a service whose database
/// role may not create tables (auto-initialize off) persisting and recovering its entities in them.
/// </summary>
public sealed class DispatchSchemaSpec(PostgresFixture database) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_role_without_DDL_rights_runs_the_entities_on_tables_created_and_granted_beforehand()
    {
        await DispatchSchema.CreateAsync(DispatchPersistenceProvider.PostgreSql, database.ConnectionString, TimeSpan.FromSeconds(60));
        foreach (var table in DispatchSchema.Tables)
        {
            await using var exists = database.DataSource.CreateCommand("SELECT to_regclass(@t) IS NOT NULL");
            exists.Parameters.AddWithValue("t", table);
            Assert.True(await exists.ExecuteScalarAsync() is true, table + " was not created");
        }

        var role = "dispatch_" + Guid.NewGuid().ToString("N")[..12];
        await using (var create = database.DataSource.CreateCommand($"CREATE ROLE \"{role}\" LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE"))
        {
            await create.ExecuteNonQueryAsync();
        }
        await using (var revoke = database.DataSource.CreateCommand($"REVOKE CREATE ON SCHEMA public FROM PUBLIC"))
        {
            await revoke.ExecuteNonQueryAsync();
        }
        await DispatchSchema.GrantAsync(database.ConnectionString, role);

        var asRole = new NpgsqlConnectionStringBuilder(database.ConnectionString) { Username = role }.ConnectionString;
        await using (var ddl = new NpgsqlConnection(asRole))
        {
            await ddl.OpenAsync();
            await using var cmd = new NpgsqlCommand("CREATE TABLE should_not_exist (id int)", ddl);
            await Assert.ThrowsAsync<PostgresException>(() => cmd.ExecuteNonQueryAsync()); // the role really has no DDL rights
        }
        await PersistsAndRecoversAsync(DispatchPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, asRole, autoInitialize: false));
    }

    [Fact]
    public async Task The_tables_of_an_SQLite_file_are_created_beforehand_and_used_with_auto_initialize_off()
    {
        var path = Path.Combine(Path.GetTempPath(), $"alerting-schema-{Guid.NewGuid():N}.db");
        var connection = new SqliteConnectionStringBuilder { DataSource = path }.ConnectionString;
        try
        {
            await DispatchSchema.CreateAsync(DispatchPersistenceProvider.Sqlite, connection, TimeSpan.FromSeconds(60));
            await using (var sqlite = new SqliteConnection(connection))
            {
                await sqlite.OpenAsync();
                await using var cmd = new SqliteCommand("SELECT name FROM sqlite_master WHERE type = 'table'", sqlite);
                var names = new List<string>();
                await using (var reader = await cmd.ExecuteReaderAsync())
                {
                    while (await reader.ReadAsync())
                    {
                        names.Add(reader.GetString(0));
                    }
                }
                Assert.Contains("device_journal", names);
                Assert.Contains("device_snapshot", names);
            }
            await PersistsAndRecoversAsync(DispatchPersistence.Hocon(DispatchPersistenceProvider.Sqlite, connection, autoInitialize: false));
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            File.Delete(path);
        }
    }

    /// <summary>An entity persists a dispatch; its next incarnation recovers it (hands it again, knows the alert).</summary>
    private static async Task PersistsAndRecoversAsync(Config persistence)
    {
        var system = ActorSystem.Create("schema-spec", ConfigurationFactory.ParseString("akka.loglevel = WARNING").WithFallback(persistence));
        try
        {
            var output = system.ActorOf(Props.Create(() => new Collector()));
            var settings = DeviceEntitySettings.Default with { PassivateAfter = TimeSpan.Zero };
            var entity = system.ActorOf(DeviceEntityActor.Props("press-1", output, settings));
            var ack = await entity.Ask<DeviceCommandAck>(new AlertCommand(Alerts.Generate("press-1", "a1", "OVERHEAT", 1, 0, [])), TimeSpan.FromSeconds(30));
            Assert.IsType<AlertDispatched>(Assert.Single(ack.Events));
            await entity.GracefulStop(TimeSpan.FromSeconds(10), StopDeviceEntity.Instance);

            var revived = system.ActorOf(DeviceEntityActor.Props("press-1", output, settings));
            var again = await revived.Ask<DeviceCommandAck>(new AlertCommand(Alerts.Generate("press-1", "a1", "OVERHEAT", 1, 0, [])), TimeSpan.FromSeconds(30));
            Assert.Equal(DropReason.Duplicate, again.Ignored);
            var handed = await output.Ask<int>(Collector.Count.Instance, TimeSpan.FromSeconds(10));
            Assert.Equal(2, handed); // handed once, and again after recovery (never confirmed)
        }
        finally
        {
            await system.Terminate();
        }
    }

    private sealed class Collector : ReceiveActor
    {
        private int _count;

        public Collector()
        {
            Receive<DispatchMessage>(_ => _count++);
            Receive<Count>(_ => Sender.Tell(_count));
        }

        public sealed record Count
        {
            public static Count Instance { get; } = new();
        }
    }
}
