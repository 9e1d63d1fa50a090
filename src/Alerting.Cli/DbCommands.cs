using System.CommandLine;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Persistence;

namespace Alerting.Cli;

/// <summary>
/// <c>alertctl db migrate</c>: creates the dispatcher's journal and snapshot tables (as Akka.Persistence.Sql creates
/// them) with a connection that may run DDL, and on PostgreSQL grants a service role what it needs on them, so the
/// service can run under a role without DDL rights (<c>auto-initialize = off</c>).
/// </summary>
internal static class DbCommands
{
    /// <summary>Exit code when the database refuses the migration.</summary>
    public const int MigrationFailed = 3;

    /// <summary>The <c>db</c> command and its sub-commands.</summary>
    public static Command Command(TextWriter stdout, TextWriter stderr)
    {
        var providerOption = new Option<string>("--provider") { Description = "postgres or sqlite", Required = true };
        var connectionOption = new Option<string>("--connection-string") { Description = "ADO.NET connection string of a role that may create tables (SQLite: Data Source=FILE)", Required = true };
        var grantOption = new Option<string?>("--grant-to") { Description = "PostgreSQL role the service runs as: granted SELECT, INSERT, UPDATE, DELETE on the tables and their sequences" };
        var timeoutOption = new Option<int>("--timeout-seconds") { Description = "How long the database may take", DefaultValueFactory = _ => 60 };

        var migrate = new Command("migrate", "Create the dispatcher's journal and snapshot tables (existing ones are kept) and grant the service role.")
        {
            providerOption, connectionOption, grantOption, timeoutOption,
        };
        migrate.SetAction((parse, ct) => MigrateAsync(
            parse.GetValue(providerOption)!, parse.GetValue(connectionOption)!, parse.GetValue(grantOption), parse.GetValue(timeoutOption), stdout, stderr, ct));
        return new Command("db", "The dispatcher's database: migrate.") { migrate };
    }

    private static async Task<int> MigrateAsync(string provider, string connectionString, string? grantTo, int timeoutSeconds, TextWriter stdout, TextWriter stderr, CancellationToken ct)
    {
        DispatchPersistenceProvider kind;
        switch (provider.Trim().ToLowerInvariant())
        {
            case "postgres" or "postgresql":
                kind = DispatchPersistenceProvider.PostgreSql;
                break;
            case "sqlite":
                kind = DispatchPersistenceProvider.Sqlite;
                break;
            default:
                await stderr.WriteLineAsync($"--provider must be postgres or sqlite, not '{provider}'");
                return 2;
        }
        if (grantTo is not null && kind != DispatchPersistenceProvider.PostgreSql)
        {
            await stderr.WriteLineAsync("--grant-to applies to PostgreSQL only");
            return 2;
        }
        try
        {
            await DispatchSchema.CreateAsync(kind, connectionString, TimeSpan.FromSeconds(Math.Max(1, timeoutSeconds)), ct);
            await stdout.WriteLineAsync($"tables present: {string.Join(", ", DispatchSchema.Tables)}");
            if (grantTo is not null)
            {
                await DispatchSchema.GrantAsync(connectionString, grantTo, ct);
                await stdout.WriteLineAsync($"granted to {grantTo}");
            }
            return 0;
        }
#pragma warning disable CA1031 // any refusal of the database is reported and becomes the exit code
        catch (Exception ex) when (ex is not OperationCanceledException || !ct.IsCancellationRequested)
#pragma warning restore CA1031
        {
            await stderr.WriteLineAsync($"migration failed: {ex.GetBaseException().Message}");
            return MigrationFailed;
        }
    }
}
