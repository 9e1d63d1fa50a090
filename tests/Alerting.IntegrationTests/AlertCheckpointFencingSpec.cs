using Akka.Actor;
using Alerting.Service.Pipeline;
using Alerting.TestKit;
using SourcePartition = Alerting.Rules.SourcePartition;

namespace Alerting.IntegrationTests;

/// <summary>
/// The fencing of the alert checkpoints on both databases of the checkpoint store (Akka.Persistence.Sql): an owner
/// that lost its partition and writes afterwards never replaces the checkpoint of the owner that claimed the
/// partition after it.
/// </summary>
public abstract class AlertCheckpointFencingContract : IDisposable
{
    private static readonly SourcePartition Partition = new("device-events", 3);

    protected abstract ActorSystem System { get; }

    [Fact]
    public async Task A_checkpoint_written_by_an_owner_that_lost_its_partition_must_never_replace_the_new_owners()
    {
        var checkpoints = new AlertCheckpointStore(System, TimeProvider.System);
        var group = "fence-" + Guid.NewGuid().ToString("N")[..8];

        // the first owner claims a partition that has no checkpoint yet, and stores one
        var nothing = await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None);
        Assert.Equal(new StoredCheckpoint(null, 0), nothing);
        var first = await checkpoints.ClaimAsync(group, Partition, nothing, CancellationToken.None);
        Assert.Equal(new StoredCheckpoint(null, first), await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None));
        await checkpoints.SaveAsync(group, Partition, first, new AlertCheckpoint(10, 20, 1_000, [1]), CancellationToken.None);

        // the group gives the partition to a second owner, which claims it with the first owner's checkpoint
        var loaded = await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None);
        Assert.Equal(20, loaded.Checkpoint!.Position);
        var second = await checkpoints.ClaimAsync(group, Partition, loaded, CancellationToken.None);
        Assert.True(second > first);

        // the first owner has not noticed (its write was under way): it stores a later checkpoint of its own
        await checkpoints.SaveAsync(group, Partition, first, new AlertCheckpoint(30, 40, 2_000, [2]), CancellationToken.None);
        Assert.Equal(20, (await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None)).Checkpoint!.Position);

        // the second owner's checkpoints are the ones read from now on, whatever the first one writes
        await checkpoints.SaveAsync(group, Partition, second, new AlertCheckpoint(25, 26, 1_500, [3]), CancellationToken.None);
        await checkpoints.SaveAsync(group, Partition, first, new AlertCheckpoint(50, 60, 3_000, [4]), CancellationToken.None);
        var latest = await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None);
        Assert.Equal((second, 26L, (byte)3), (latest.Epoch, latest.Checkpoint!.Position, latest.Checkpoint.EngineState[0]));
    }

    [Fact]
    public async Task A_stored_checkpoint_must_load_back_whole_and_an_unreadable_one_must_fail_with_its_persistence_id()
    {
        var checkpoints = new AlertCheckpointStore(System, TimeProvider.System);
        var group = "whole-" + Guid.NewGuid().ToString("N")[..8];
        var epoch = await checkpoints.ClaimAsync(group, Partition, new StoredCheckpoint(null, 0), CancellationToken.None);
        var state = Enumerable.Range(0, 70_000).Select(i => (byte)(i * 7)).ToArray();
        await checkpoints.SaveAsync(group, Partition, epoch, new AlertCheckpoint(5, 9, 1_234, state) { RulesVersion = 3 }, CancellationToken.None);

        var loaded = await checkpoints.LoadLatestAsync(group, Partition, CancellationToken.None);
        Assert.Equal((epoch, 5L, 9L, 1_234L, 3L), (loaded.Epoch, loaded.Checkpoint!.Resume, loaded.Checkpoint.Position, loaded.Checkpoint.ReleasedUpTo, loaded.Checkpoint.RulesVersion));
        Assert.Equal(state, loaded.Checkpoint.EngineState);

        // a row the serializer cannot read (here: a claim-less checkpoint cut short) fails the load, naming the partition
        var broken = "broken-" + Guid.NewGuid().ToString("N")[..8];
        var store = Akka.Persistence.Persistence.Instance.Apply(System).SnapshotStoreFor(AlertCheckpointPersistence.PluginId);
        var saved = await store.Ask<object>(new Akka.Persistence.SaveSnapshot(
            new Akka.Persistence.SnapshotMetadata(AlertCheckpointStore.PersistenceId(broken, Partition), 1, DateTime.UtcNow), new ShortCheckpoint()), TimeSpan.FromSeconds(30));
        Assert.IsType<Akka.Persistence.SaveSnapshotSuccess>(saved);
        var error = await Assert.ThrowsAsync<AlertCheckpointException>(() => checkpoints.LoadLatestAsync(broken, Partition, CancellationToken.None));
        Assert.Contains(AlertCheckpointStore.PersistenceId(broken, Partition), error.Message, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        System.Terminate().Wait(TimeSpan.FromSeconds(10));
        Cleanup();
        GC.SuppressFinalize(this);
    }

    protected virtual void Cleanup()
    {
    }
}

/// <summary>Stored under the checkpoint's own manifest, but 8 bytes long: shorter than any checkpoint's header.</summary>
public sealed class ShortCheckpoint;

/// <summary>Writes a <see cref="ShortCheckpoint"/> as a checkpoint that cannot be read back.</summary>
public sealed class ShortCheckpointSerializer(ExtendedActorSystem system) : Akka.Serialization.SerializerWithStringManifest(system)
{
    public override int Identifier => AlertCheckpointSerializer.Id + 1000;

    public override string Manifest(object o) => AlertCheckpoint.Manifest;

    public override byte[] ToBinary(object obj) => new byte[8];

    public override object FromBinary(byte[] bytes, string manifest) => throw new NotSupportedException("written only");
}

public sealed class PostgresAlertCheckpointFencingSpec(PostgresFixture postgres) : AlertCheckpointFencingContract, IClassFixture<PostgresFixture>
{
    protected override ActorSystem System { get; } = CheckpointSystems.Postgres("fencing-spec", postgres.ConnectionString, ShortCheckpoints);

    internal const string ShortCheckpoints = """
        akka.actor.serializers.short-checkpoint = "Alerting.IntegrationTests.ShortCheckpointSerializer, Alerting.IntegrationTests"
        akka.actor.serialization-bindings { "Alerting.IntegrationTests.ShortCheckpoint, Alerting.IntegrationTests" = short-checkpoint }
        """;
}

public sealed class SqliteAlertCheckpointFencingSpec : AlertCheckpointFencingContract
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"alerting-fencing-spec-{Guid.NewGuid():N}.db");

    public SqliteAlertCheckpointFencingSpec() =>
        System = CheckpointSystems.Sqlite("fencing-spec", _path, PostgresAlertCheckpointFencingSpec.ShortCheckpoints);

    protected override ActorSystem System { get; }

    protected override void Cleanup() => Alerting.Service.Hosting.TemporaryDatabase.Delete(_path);
}
