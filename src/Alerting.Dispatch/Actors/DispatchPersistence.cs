using System.Reflection;
using Akka.Configuration;
using Akka.Persistence.Sql;

namespace Alerting.Dispatch.Actors;

/// <summary>The database behind the device entities' journal and snapshot store.</summary>
public enum DispatchPersistenceProvider
{
    /// <summary>An SQLite file through Microsoft.Data.Sqlite (linq2db provider <c>SQLite.MS</c>): the embedded default.</summary>
    Sqlite,

    /// <summary>PostgreSQL 15 or later through Npgsql (linq2db provider <c>PostgreSQL15</c>).</summary>
    PostgreSql,
}

/// <summary>
/// The Akka configuration of the dispatcher's persistence: this assembly's <c>reference.conf</c> (entity settings,
/// serializer bindings, the <c>akka.persistence</c> section on Akka.Persistence.Sql) and the HOCON that points the
/// journal and snapshot store at one database.
/// </summary>
public static class DispatchPersistence
{
    private const string ResourceName = "Alerting.Dispatch.reference.conf";

    /// <summary>
    /// This assembly's <c>reference.conf</c> over Akka.Persistence.Sql's own defaults: the fallback to put under the
    /// service's configuration.
    /// </summary>
    public static Config ReferenceConfig { get; } = LoadReference().WithFallback(SqlPersistence.DefaultConfiguration);

    /// <summary>The linq2db provider name of <paramref name="provider"/>.</summary>
    public static string ProviderName(DispatchPersistenceProvider provider) => provider switch
    {
        DispatchPersistenceProvider.Sqlite => "SQLite.MS",
        DispatchPersistenceProvider.PostgreSql => "PostgreSQL15",
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown persistence provider."),
    };

    /// <summary>
    /// The HOCON that stores the journal and the snapshots of the device entities in the database of
    /// <paramref name="connectionString"/>, falling back to <see cref="ReferenceConfig"/>.
    /// </summary>
    /// <param name="provider">Which database it is.</param>
    /// <param name="connectionString">ADO.NET connection string (for SQLite, <c>Data Source=path</c>).</param>
    /// <param name="autoInitialize">Create missing tables on start (needs DDL rights).</param>
    public static Config Hocon(DispatchPersistenceProvider provider, string connectionString, bool autoInitialize = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        var name = ProviderName(provider);
        var quoted = Quote(connectionString);
        var init = autoInitialize ? "on" : "off";
        // Many recovery permits pay off where the recoveries' reads are batched (PostgreSQL); SQLite reads one by one,
        // and a thousand readers would contend with the writer for the file: Akka's default there.
        var recoveries = provider == DispatchPersistenceProvider.Sqlite ? "akka.persistence.max-concurrent-recoveries = 50" : "";
        var text = $$"""
            {{recoveries}}
            akka.persistence.journal.sql {
              connection-string = {{quoted}}
              provider-name = "{{name}}"
              auto-initialize = {{init}}
            }
            akka.persistence.snapshot-store.sql {
              connection-string = {{quoted}}
              provider-name = "{{name}}"
              auto-initialize = {{init}}
            }
            """;
        return ConfigurationFactory.ParseString(text).WithFallback(ReferenceConfig);
    }

    /// <summary>The snapshot-store plugin of the alert application's checkpoints, in the same database as the entities' state.</summary>
    public const string CheckpointStorePluginId = "akka.persistence.snapshot-store.alert-checkpoints";

    /// <summary>The table of <see cref="CheckpointStorePluginId"/>.</summary>
    public const string CheckpointTable = "alert_checkpoint";

    /// <summary>
    /// The HOCON of <see cref="CheckpointStorePluginId"/>: Akka.Persistence.Sql's snapshot store on table
    /// <see cref="CheckpointTable"/> of the database of <paramref name="connectionString"/> (what it stores is bound to
    /// its serializer by the application that stores it).
    /// </summary>
    public static Config CheckpointStoreHocon(DispatchPersistenceProvider provider, string connectionString, bool autoInitialize = true)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        return ConfigurationFactory.ParseString($$"""
            {{CheckpointStorePluginId}} {
              class = "Akka.Persistence.Sql.Snapshot.SqlSnapshotStore, Akka.Persistence.Sql"
              connection-string = {{Quote(connectionString)}}
              provider-name = "{{ProviderName(provider)}}"
              auto-initialize = {{(autoInitialize ? "on" : "off")}}
              default.snapshot.table-name = "{{CheckpointTable}}"
            }
            """);
    }

    /// <summary>A HOCON string literal of <paramref name="value"/>.</summary>
    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static Config LoadReference()
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        return ConfigurationFactory.ParseString(reader.ReadToEnd());
    }
}
