using Akka.Configuration;
using Alerting.Dispatch.Actors;

namespace Alerting.Service.Pipeline;

/// <summary>
/// Where the alert checkpoints are stored: a snapshot-store plugin of Akka.Persistence.Sql of their own
/// (<see cref="PluginId"/>, table <c>alert_checkpoint</c>) in the service's database, beside the device entities'
/// tables (<see cref="DispatchPersistence.CheckpointStoreHocon"/>), with <see cref="AlertCheckpointSerializer"/> bound
/// to what it stores.
/// </summary>
public static class AlertCheckpointPersistence
{
    /// <summary>The snapshot-store plugin of the checkpoints.</summary>
    public const string PluginId = DispatchPersistence.CheckpointStorePluginId;

    /// <summary>The HOCON of the plugin on the database of <paramref name="connectionString"/>, and of the serializer.</summary>
    /// <param name="provider">Which database it is.</param>
    /// <param name="connectionString">ADO.NET connection string (for SQLite, <c>Data Source=path</c>).</param>
    /// <param name="autoInitialize">Create the table on start when it is missing (needs DDL rights).</param>
    public static Config Hocon(DispatchPersistenceProvider provider, string connectionString, bool autoInitialize = true)
    {
        var serializer = NameOf(typeof(AlertCheckpointSerializer));
        return ConfigurationFactory.ParseString($$"""
            akka.actor {
              serializers.alerting-alert-checkpoint = "{{serializer}}"
              serialization-bindings {
                "{{NameOf(typeof(AlertCheckpoint))}}" = alerting-alert-checkpoint
                "{{NameOf(typeof(AlertCheckpointClaim))}}" = alerting-alert-checkpoint
              }
              serialization-identifiers { "{{serializer}}" = {{AlertCheckpointSerializer.Id}} }
            }
            """).WithFallback(DispatchPersistence.CheckpointStoreHocon(provider, connectionString, autoInitialize));
    }

    private static string NameOf(Type type) => $"{type.FullName}, {type.Assembly.GetName().Name}";
}
