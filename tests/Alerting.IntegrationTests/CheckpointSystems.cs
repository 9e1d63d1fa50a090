using Akka.Actor;
using Akka.Configuration;
using Alerting.Dispatch.Actors;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using SourcePartition = Alerting.Rules.SourcePartition;

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

    /// <summary>
    /// Waits until the stored checkpoints of the group (in <paramref name="system"/>'s store) have read every partition
    /// of the events topic to its end offset in <paramref name="ends"/>; fails when one of <paramref name="runs"/> ends first.
    /// </summary>
    public static async Task WaitUntilCoveredAsync(ActorSystem system, AlertingSettings settings, IReadOnlyDictionary<int, long> ends, Task[] runs, CancellationToken cancellationToken)
    {
        var checkpoints = new AlertCheckpointStore(system, TimeProvider.System);
        while (true)
        {
            await Task.Delay(200, cancellationToken);
            if (runs.FirstOrDefault(run => run.IsCompleted) is { } ended)
            {
                await ended; // a failure shows its own exception
                Assert.Fail("a pipeline stopped before its checkpoints covered the input");
            }

            var done = true;
            foreach (var (partition, end) in ends)
            {
                var checkpoint = (await checkpoints.LoadLatestAsync(settings.AlertGroupId, new SourcePartition(settings.Kafka.Topics.Events, partition), cancellationToken)).Checkpoint;
                done &= checkpoint is not null && checkpoint.Position >= end;
            }

            if (done)
            {
                return;
            }
        }
    }
}
