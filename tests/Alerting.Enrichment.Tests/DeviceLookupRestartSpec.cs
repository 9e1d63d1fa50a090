using System.Runtime.CompilerServices;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Enrichment.Postgres;
using Alerting.TestKit;
using Npgsql;
using Xunit.Abstractions;

namespace Alerting.Enrichment.Tests;

/// <summary>
/// The lookup join while its database goes away and comes back: runs against a private throwaway server (the
/// shared test server must not be stopped), which the test stops and starts mid-stream.
/// </summary>
public sealed class DeviceLookupRestartSpec(ITestOutputHelper output) : StageSpec(output)
{
    private const int Elements = 2000;
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(3));

    private CancellationToken Ct => _timeout.Token;

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _timeout.Dispose();
        }

        base.Dispose(disposing);
    }

    [Fact]
    public async Task A_lookup_join_must_lose_no_element_when_the_database_is_stopped_and_restarted_mid_stream()
    {
        await using var server = await ThrowawayPostgresServer.StartAsync(Ct);
        await using var dataSource = NpgsqlDataSource.Create(server.ConnectionString);
        var seeded = DeviceConfigGenerator.Generate(500, ["FaultA", "FaultB", "Alarm"]);
        await new PostgresDeviceConfigStore(dataSource, new DeviceConfigStoreOptions(AutoInitialize: true)).UpsertAsync(seeded, Ct);

        // a cache far smaller than the device population: nearly every batch must go to the database
        var settings = new DeviceLookupSettings { CacheMaxRows = 20, BatchSize = 8, BatchTime = TimeSpan.FromMilliseconds(5), Parallelism = 4 }
            .WithBackoff(TimeSpan.FromMilliseconds(20), TimeSpan.FromMilliseconds(400));
        var lookup = new DeviceConfigLookup(new PostgresDeviceConfigStore(dataSource), settings);
        var databaseStopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var firstHalfThrough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var received = new List<EnrichedReading>();

        var completion = Source.From(() => Readings(seeded, databaseStopped.Task))
            .Via(new DeviceLookupJoinStage<Reading, EnrichedReading>(lookup, r => r.DeviceId, (r, c) => new EnrichedReading(r.Seq, r.DeviceId, c)))
            .RunWith(Sink.ForEach<EnrichedReading>(r =>
            {
                lock (received)
                {
                    received.Add(r);
                    if (received.Count == Elements / 2)
                    {
                        firstHalfThrough.TrySetResult();
                    }
                }
            }), Materializer);

        await firstHalfThrough.Task.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        Assert.Equal(0, lookup.Statistics.FailedLoads);
        await server.StopAsync(Ct);
        databaseStopped.SetResult();

        await Eventually.TrueAsync(() => lookup.Statistics.FailedLoads >= 5, "the lookup to fail and retry while the database is down", TimeSpan.FromSeconds(30));
        int receivedWhileDown;
        lock (received)
        {
            receivedWhileDown = received.Count;
        }
        Assert.False(completion.IsCompleted, "the stream must wait for the database, not complete or fail");
        await server.StartAgainAsync(Ct);
        await completion.WaitAsync(TimeSpan.FromSeconds(60), Ct);
        await this.AssertAllStagesStoppedAsync(() => Task.CompletedTask, Materializer);

        Assert.True(receivedWhileDown < Elements, "elements needing the database cannot pass while it is down");
        Assert.Equal(Enumerable.Range(0, Elements), received.Select(r => r.Seq));
        var byId = seeded.ToDictionary(c => c.DeviceId);
        Assert.All(received, r => Assert.Equal(byId[r.DeviceId], r.Config));
        Assert.Equal(0, lookup.Statistics.Cache.MissingDevices);
    }

    /// <summary>Emits the first half of the readings, waits for the database to be stopped, then emits the rest.</summary>
    private static async IAsyncEnumerable<Reading> Readings(
        IReadOnlyList<DeviceConfig> devices, Task databaseStopped, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        for (var i = 0; i < Elements; i++)
        {
            if (i == Elements / 2)
            {
                await databaseStopped.WaitAsync(cancellationToken);
            }
            yield return new Reading(i, devices[(i * 7) % devices.Count].DeviceId);
        }
    }
}
