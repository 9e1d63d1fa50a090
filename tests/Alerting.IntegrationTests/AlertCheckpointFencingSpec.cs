using Alerting.Persistence;
using Alerting.Persistence.Postgres;
using Alerting.Persistence.Sqlite;
using Alerting.Service.Pipeline;
using Alerting.TestKit;
using SourcePartition = Alerting.Rules.SourcePartition;

namespace Alerting.IntegrationTests;

/// <summary>
/// The fencing of the alert checkpoints on both stores: an owner that lost its partition and writes afterwards
/// never replaces the checkpoint of the owner that claimed the partition after it.
/// </summary>
public abstract class AlertCheckpointFencingContract
{
    private static readonly SourcePartition Partition = new("device-events", 3);

    protected abstract IEventStore Store { get; }

    [Fact]
    public async Task A_checkpoint_written_by_an_owner_that_lost_its_partition_must_never_replace_the_new_owners()
    {
        var checkpoints = new AlertCheckpointStore(Store, TimeProvider.System);
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
}

public sealed class PostgresAlertCheckpointFencingSpec(PostgresFixture postgres) : AlertCheckpointFencingContract, IClassFixture<PostgresFixture>
{
    protected override IEventStore Store { get; } = new PostgresEventStore(postgres.DataSource);
}

public sealed class SqliteAlertCheckpointFencingSpec : AlertCheckpointFencingContract, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"alerting-fencing-spec-{Guid.NewGuid():N}.db");

    public SqliteAlertCheckpointFencingSpec() =>
        Store = new SqliteEventStore(new SqliteEventStoreOptions { ConnectionString = $"Data Source={_path}" }, TimeProvider.System);

    protected override IEventStore Store { get; }

    public void Dispose()
    {
        foreach (var file in new[] { _path, _path + "-wal", _path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
