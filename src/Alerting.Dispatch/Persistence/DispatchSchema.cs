using Akka.Actor;
using Akka.Configuration;
using Akka.Persistence;
using Alerting.Dispatch.Actors;
using Npgsql;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// Creates the device entities' journal and snapshot tables and the alert checkpoints' table ahead of time
/// (<c>alertctl db migrate</c>), for a service
/// whose database role has no DDL rights and so runs with <c>auto-initialize = off</c>. The tables are created by
/// Akka.Persistence.Sql itself (a short-lived ActorSystem with the dispatcher's persistence configuration and
/// auto-initialize on), so they are exactly the ones the plugin would create; on PostgreSQL, a role can then be
/// granted what the service needs on them (read, write, delete; the ordering sequence).
/// </summary>
public static class DispatchSchema
{
    /// <summary>The tables of the default configuration: the entities' journal, its tags and snapshots, and the alert checkpoints.</summary>
    public static IReadOnlyList<string> Tables { get; } = ["device_journal", "device_journal_tags", "device_snapshot", DispatchPersistence.CheckpointTable];

    /// <summary>
    /// Creates the missing tables in the database of <paramref name="connectionString"/> (existing ones are left as
    /// they are); returns once both plugins report they are initialized. Throws when the database refuses.
    /// </summary>
    public static async Task CreateAsync(DispatchPersistenceProvider provider, string connectionString, TimeSpan timeout, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        if (provider == DispatchPersistenceProvider.PostgreSql)
        {
            // An unreachable server or refused login fails here with the driver's own reason.
            await using var dataSource = NpgsqlDataSource.Create(connectionString);
            await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        }
        var config = ConfigurationFactory.ParseString("""
                akka.loglevel = ERROR
                akka.stdout-loglevel = ERROR
                """)
            .WithFallback(DispatchPersistence.Hocon(provider, connectionString, autoInitialize: true))
            .WithFallback(DispatchPersistence.CheckpointStoreHocon(provider, connectionString, autoInitialize: true));
        var system = ActorSystem.Create("alerting-migrate", config);
        try
        {
            // A persistent actor's recovery asks both plugins, which answer only once their tables exist (requests wait
            // while a plugin initializes); a plugin that could not create them stops, and the recovery times out.
            var probe = system.ActorOf(Props.Create(() => new RecoveryProbe()));
            try
            {
                await probe.Ask<RecoveryCompleted>(RecoveryProbe.Ask.Instance, timeout, ct).ConfigureAwait(false);
                // The checkpoint store answers a load once its table exists, as the other two.
                var checkpoints = Akka.Persistence.Persistence.Instance.Apply(system).SnapshotStoreFor(DispatchPersistence.CheckpointStorePluginId);
                var loaded = await checkpoints.Ask<object>(new LoadSnapshot("alertctl-db-migrate", SnapshotSelectionCriteria.Latest, long.MaxValue), timeout, ct).ConfigureAwait(false);
                if (loaded is LoadSnapshotFailed failed)
                {
                    throw new InvalidOperationException($"The alert checkpoint store failed: {failed.Cause.Message}", failed.Cause);
                }
            }
            catch (AskTimeoutException ex)
            {
                throw new InvalidOperationException(
                    $"The journal and snapshot store did not initialize within {timeout} (see the errors logged above: a role without CREATE rights, a missing database).", ex);
            }
        }
        finally
        {
            await system.Terminate().ConfigureAwait(false);
        }
    }

    /// <summary>
    /// Grants <paramref name="role"/> what the service needs on the dispatcher's tables of a PostgreSQL database:
    /// SELECT, INSERT, UPDATE, DELETE on <see cref="Tables"/> and USAGE on their sequences.
    /// </summary>
    public static async Task GrantAsync(string connectionString, string role, CancellationToken ct = default)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        ArgumentException.ThrowIfNullOrEmpty(role);
        await using var dataSource = NpgsqlDataSource.Create(connectionString);
        await using var connection = await dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);
        var quotedRole = Quote(role);
        foreach (var table in Tables)
        {
            await using var exists = new NpgsqlCommand("SELECT to_regclass(@t) IS NOT NULL", connection);
            exists.Parameters.AddWithValue("t", table);
            if (await exists.ExecuteScalarAsync(ct).ConfigureAwait(false) is not true)
            {
                continue;
            }
            await using (var grant = new NpgsqlCommand($"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {Quote(table)} TO {quotedRole}", connection))
            {
                await grant.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
            await using var sequences = new NpgsqlCommand(
                "SELECT s.relname FROM pg_class s JOIN pg_depend d ON d.objid = s.oid JOIN pg_class t ON d.refobjid = t.oid " +
                "WHERE s.relkind = 'S' AND t.relname = @t", connection);
            sequences.Parameters.AddWithValue("t", table);
            var names = new List<string>();
            await using (var reader = await sequences.ExecuteReaderAsync(ct).ConfigureAwait(false))
            {
                while (await reader.ReadAsync(ct).ConfigureAwait(false))
                {
                    names.Add(reader.GetString(0));
                }
            }
            foreach (var sequence in names)
            {
                await using var grant = new NpgsqlCommand($"GRANT USAGE, SELECT ON SEQUENCE {Quote(sequence)} TO {quotedRole}", connection);
                await grant.ExecuteNonQueryAsync(ct).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Recovers an empty persistence id, then answers <see cref="RecoveryCompleted"/>.</summary>
    private sealed class RecoveryProbe : UntypedPersistentActor
    {
        private IActorRef? _asker;
        private bool _recovered;

        public override string PersistenceId => "alertctl-db-migrate";

        protected override void OnRecover(object message)
        {
            if (message is RecoveryCompleted)
            {
                _recovered = true;
                _asker?.Tell(RecoveryCompleted.Instance);
            }
        }

        protected override void OnCommand(object message)
        {
            if (message is Ask)
            {
                _asker = Sender;
                if (_recovered)
                {
                    Sender.Tell(RecoveryCompleted.Instance);
                }
            }
        }

        public sealed record Ask
        {
            public static Ask Instance { get; } = new();
        }
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";
}
