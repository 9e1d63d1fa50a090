using Akka.Actor;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Service.Pipeline;

namespace Alerting.IntegrationTests;

/// <summary>ActorSystems whose alert checkpoints are stored as the service stores them (<see cref="AlertCheckpointPersistence"/>).</summary>
internal static class CheckpointSystems
{
    /// <summary>An ActorSystem with the checkpoint store on the PostgreSQL database of <paramref name="connectionString"/>, and <paramref name="hocon"/> over it.</summary>
    public static ActorSystem Postgres(string name, string connectionString, string hocon = "") =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(hocon).WithFallback(AlertCheckpointPersistence.Hocon(DispatchPersistenceProvider.PostgreSql, connectionString)));

    /// <summary>An ActorSystem with the checkpoint store in the SQLite file <paramref name="path"/>, and <paramref name="hocon"/> over it.</summary>
    public static ActorSystem Sqlite(string name, string path, string hocon = "") =>
        ActorSystem.Create(name, ConfigurationFactory.ParseString(hocon).WithFallback(AlertCheckpointPersistence.Hocon(DispatchPersistenceProvider.Sqlite, $"Data Source={path}")));
}
