using Alerting.Enrichment.Sqlite;
using Alerting.TestKit.Time;

namespace Alerting.Enrichment.Tests;

/// <summary>Concurrent lookups of the same devices (parallel batches, or several streams sharing one lookup), on SQLite.</summary>
public sealed class DeviceLookupSharedLoadSpec(SqliteFileFixture file) : IClassFixture<SqliteFileFixture>, IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private readonly ManualTimeProvider _clock = new();

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    private async Task<(SqliteDeviceConfigStore Store, IReadOnlyList<DeviceConfig> Seeded)> SeedAsync()
    {
        var store = new SqliteDeviceConfigStore(file.ConnectionString, new DeviceConfigStoreOptions(AutoInitialize: true));
        var seeded = DeviceConfigGenerator.Generate(3, ["A", "B"], "shared-" + Guid.NewGuid().ToString("N")[..8] + "-");
        await store.UpsertAsync(seeded, Ct);
        return (store, seeded);
    }

    [Fact]
    public async Task A_lookup_must_not_ask_again_for_a_device_whose_load_is_in_flight()
    {
        var (sqlite, seeded) = await SeedAsync();
        var store = new GatedStore(sqlite);
        var lookup = new DeviceConfigLookup(store, DeviceLookupSettings.Default, _clock);

        var first = lookup.ResolveAsync([seeded[0].DeviceId, seeded[1].DeviceId], Ct);
        await Eventually.TrueAsync(() => store.Requests.Count == 1, "the first load");
        var second = lookup.ResolveAsync([seeded[1].DeviceId, seeded[2].DeviceId], Ct);
        await Eventually.TrueAsync(() => store.Requests.Count == 2, "the second load");
        store.Open();
        var a = await first;
        var b = await second;

        Assert.Equal([seeded[2].DeviceId], store.Requests[1]); // device 1 was already on its way
        Assert.Equal(seeded[1], a[seeded[1].DeviceId]);
        Assert.Equal(seeded[1], b[seeded[1].DeviceId]);
        Assert.Equal(seeded[2], b[seeded[2].DeviceId]);
        Assert.Equal(1, lookup.Statistics.SharedLoads);
        Assert.Equal(2, store.LoadQueries);
    }

    [Fact]
    public async Task A_lookup_must_load_a_device_itself_when_the_load_it_waited_for_was_cancelled()
    {
        var (sqlite, seeded) = await SeedAsync();
        var store = new GatedStore(sqlite);
        var lookup = new DeviceConfigLookup(store, DeviceLookupSettings.Default, _clock);
        using var firstCancel = new CancellationTokenSource();

        var first = lookup.ResolveAsync([seeded[0].DeviceId], firstCancel.Token);
        await Eventually.TrueAsync(() => store.Requests.Count == 1, "the first load");
        var second = lookup.ResolveAsync([seeded[0].DeviceId], Ct);
        await firstCancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => first);
        await Eventually.TrueAsync(() => store.Requests.Count == 2, "the waiting lookup to load the device itself");
        store.Open();

        Assert.Equal(seeded[0], (await second)[seeded[0].DeviceId]);
        Assert.Equal(0, lookup.Statistics.SharedLoads);
    }
}
