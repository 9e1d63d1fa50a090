using Akka.Actor;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;

namespace Alerting.Benchmarks.Harness;

/// <summary>
/// An ActorSystem whose alert checkpoints are stored as the service stores them: the checkpoint store on the database
/// of <c>alerting.persistence</c> (a fresh SQLite file, deleted on dispose, when <c>sqlite-path</c> is empty).
/// </summary>
internal sealed class CheckpointedSystem : IAsyncDisposable
{
    private readonly string? _temporary;

    private CheckpointedSystem(ActorSystem system, string? temporary)
    {
        System = system;
        _temporary = temporary;
    }

    /// <summary>The ActorSystem.</summary>
    public ActorSystem System { get; }

    /// <summary>A new ActorSystem named <paramref name="name"/> on the database of <paramref name="settings"/>.</summary>
    public static CheckpointedSystem Create(string name, AlertingSettings settings)
    {
        var (provider, connectionString, temporary) = DispatchNode.Database(settings.Persistence);
        return new CheckpointedSystem(ActorSystem.Create(name, AlertCheckpointPersistence.Hocon(provider, connectionString)), temporary);
    }

    /// <summary>Terminates the ActorSystem and deletes the temporary database.</summary>
    public async ValueTask DisposeAsync()
    {
        await System.Terminate();
        if (_temporary is not null)
        {
            TemporaryDatabase.Delete(_temporary);
        }
    }
}
