using Alerting.Enrichment.Postgres;
using Alerting.Enrichment.Sqlite;
using Alerting.Streams;
using Alerting.TestKit;
using Alerting.TestKit.Streams;
using Alerting.TestKit.Time;
using Microsoft.Data.Sqlite;

namespace Alerting.Enrichment.Tests;

/// <summary>The lookup join as a stream stage, against the real PostgreSQL test server (and SQLite where noted).</summary>
public sealed class DeviceLookupJoinSpec(PostgresFixture postgres) : IClassFixture<PostgresFixture>, IDisposable
{
    private static readonly string[] AlertTypes = ["FaultA", "FaultB", "FaultC", "Alarm"];
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private readonly ManualTimeProvider _clock = new();
    private readonly string _prefix = "join-" + Guid.NewGuid().ToString("N")[..8] + "-";

    private CancellationToken Ct => _timeout.Token;

    public void Dispose() => _timeout.Dispose();

    private async Task<(PostgresDeviceConfigStore Store, IReadOnlyList<DeviceConfig> Seeded)> SeedAsync(int devices)
    {
        var store = new PostgresDeviceConfigStore(postgres.DataSource, new DeviceConfigStoreOptions(AutoInitialize: true));
        var seeded = DeviceConfigGenerator.Generate(devices, AlertTypes, _prefix);
        await store.UpsertAsync(seeded, Ct);
        return (new PostgresDeviceConfigStore(postgres.DataSource), seeded); // a fresh store: its query counter starts at 0
    }

    private static Flow<Reading, EnrichedReading> Join(DeviceConfigLookup lookup) =>
        lookup.JoinFlow<Reading, EnrichedReading>(r => r.DeviceId, (r, c) => new EnrichedReading(r.Seq, r.DeviceId, c));

    private async Task<IReadOnlyList<EnrichedReading>> RunAsync(DeviceConfigLookup lookup, IEnumerable<Reading> input, TimeProvider clock)
    {
        var handle = Source.From(input.ToArray()).Via(Join(lookup)).RunWith(Sink.Seq<EnrichedReading>(), new Materializer(clock));
        var result = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(30), Ct);
        await StreamAssert.AllStagesStoppedAsync(handle, clock as ManualTimeProvider);
        return result;
    }

    private IEnumerable<Reading> Readings(params string[] deviceSuffixes) =>
        deviceSuffixes.Select((d, i) => new Reading(i, _prefix + d));

    [Fact]
    public async Task A_lookup_join_must_send_the_misses_of_a_batch_in_one_query_and_serve_repeats_from_the_cache()
    {
        var (store, seeded) = await SeedAsync(40);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 100, BatchTime = TimeSpan.FromHours(1), Parallelism = 1 }, _clock);

        // 90 readings over devices 0..29: one batch, 30 distinct misses, one query.
        var first = await RunAsync(lookup, Enumerable.Range(0, 90).Select(i => new Reading(i, seeded[i % 30].DeviceId)), _clock);

        Assert.Equal(1, store.LoadQueries);
        Assert.Equal(90, first.Count);
        Assert.All(first, r => Assert.Equal(seeded.Single(s => s.DeviceId == r.DeviceId), r.Config));
        Assert.Equal(30, lookup.Cache.Statistics.Misses);

        // batches of 20: devices 0..19 are all cached (no query), then 20..29 cached plus 30..39 new (one query).
        var second = new DeviceConfigLookup(store, lookup.Settings with { BatchSize = 20 }, _clock);
        foreach (var config in seeded.Take(30))
        {
            second.Cache.Put(config);
        }
        var output = await RunAsync(second, Enumerable.Range(0, 40).Select(i => new Reading(i, seeded[i].DeviceId)), _clock);

        Assert.Equal(2, store.LoadQueries);
        Assert.Equal(seeded, output.Select(r => r.Config));
        Assert.Equal(new DeviceLookupStatistics(Batches: 2, Loads: 1, FailedLoads: 0, SharedLoads: 0, second.Statistics.Cache), second.Statistics);
        Assert.Equal(30, second.Statistics.Cache.Hits);
        Assert.Equal(10, second.Statistics.Cache.Misses);
    }

    [Fact]
    public async Task A_lookup_join_must_pass_a_device_with_no_row_with_the_defaults_and_count_it_once_per_ttl()
    {
        var (store, seeded) = await SeedAsync(2);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }, _clock);

        var output = await RunAsync(lookup, [new(0, "ghost-" + _prefix), new(1, seeded[0].DeviceId), new(2, "ghost-" + _prefix)], _clock);
        var again = await RunAsync(lookup, [new(0, "ghost-" + _prefix)], _clock);

        Assert.Equal([0, 1, 2], output.Select(r => r.Seq));
        Assert.Equal(DeviceConfig.Defaults("ghost-" + _prefix), output[0].Config);
        Assert.True(output[2].Config.IsDefault);
        Assert.Equal(seeded[0], output[1].Config);
        Assert.True(again[0].Config.IsDefault);
        Assert.Equal(1, lookup.Statistics.Cache.MissingDevices);
        Assert.Equal(1, store.LoadQueries); // the defaults were cached: the second run asked nothing

        _clock.Advance(lookup.Settings.CacheTtl);
        await RunAsync(lookup, [new(0, "ghost-" + _prefix)], _clock);

        Assert.Equal(2, lookup.Statistics.Cache.MissingDevices);
        Assert.Equal(2, store.LoadQueries);
    }

    [Fact]
    public async Task A_lookup_join_must_keep_the_upstream_order_with_parallelism_above_one()
    {
        var (pg, seeded) = await SeedAsync(300);
        var store = new DelayingStore(pg, maxDelayMs: 25);
        var settings = new DeviceLookupSettings { CacheMaxRows = 50, BatchSize = 16, BatchTime = TimeSpan.FromMilliseconds(5), Parallelism = 8 };
        var lookup = new DeviceConfigLookup(store, settings);
#pragma warning disable CA5394 // test data
        var random = new Random(42);
        var input = Enumerable.Range(0, 2000).Select(i => new Reading(i, seeded[random.Next(seeded.Count)].DeviceId)).ToArray();
#pragma warning restore CA5394

        var output = await RunAsync(lookup, input, TimeProvider.System);

        Assert.Equal(input.Select(r => r.Seq), output.Select(r => r.Seq));
        var byId = seeded.ToDictionary(c => c.DeviceId);
        Assert.All(output, r => Assert.Equal(byId[r.DeviceId], r.Config));
        Assert.True(store.MaxConcurrentLoads > 1, $"expected batches resolved in parallel, saw at most {store.MaxConcurrentLoads} at once");
        Assert.True(lookup.Statistics.Cache.Evictions > 0);
    }

    [Fact]
    public async Task A_lookup_join_must_reload_a_row_once_its_ttl_has_passed()
    {
        var (store, seeded) = await SeedAsync(1);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }, _clock);
        var device = seeded[0].DeviceId;

        var before = await RunAsync(lookup, [new(0, device)], _clock);
        await store.UpsertAsync([seeded[0] with { Version = 2, Level = 9 }], Ct);
        _clock.Advance(TimeSpan.FromSeconds(59));
        var cached = await RunAsync(lookup, [new(0, device)], _clock);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var reloaded = await RunAsync(lookup, [new(0, device)], _clock);

        Assert.Equal(1, before[0].Config.Version);
        Assert.Equal(1, cached[0].Config.Version);
        Assert.Equal(2, reloaded[0].Config.Version);
        Assert.Equal(9, reloaded[0].Config.Level);
        Assert.Equal(1, lookup.Statistics.Cache.Expired);
        Assert.Equal(2, store.LoadQueries);
    }

    [Fact]
    public async Task A_lookup_join_must_back_off_exponentially_up_to_the_cap_while_the_store_refuses_and_emit_nothing_meanwhile()
    {
        var (pg, seeded) = await SeedAsync(3);
        var store = new RefusingStore(pg, failures: 4);
        var settings = new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), Parallelism = 1 }
            .WithBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), randomFactor: 0);
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        var emitted = new List<EnrichedReading>();
        var handle = Source.From(seeded.Select((c, i) => new Reading(i, c.DeviceId)).ToArray())
            .Via(Join(lookup))
            .RunWith(Sink.ForEach<EnrichedReading>(r => { lock (emitted) { emitted.Add(r); } }), new Materializer(_clock));

        // waits after failures 1..4: 1 s, 2 s, 4 s, 4 s (capped)
        foreach (var (wait, failuresSoFar) in new[] { (1, 1), (2, 2), (4, 3), (4, 4) })
        {
            await Eventually.TrueAsync(() => store.Attempts == failuresSoFar, $"attempt {failuresSoFar}");
            await _clock.WaitForArmedTimersAsync(1, cancellationToken: Ct);
            _clock.Advance(TimeSpan.FromSeconds(wait) - TimeSpan.FromMilliseconds(1));
            Assert.Equal(1, _clock.ArmedTimers); // not yet due: no new attempt
            Assert.Equal(failuresSoFar, store.Attempts);
            lock (emitted)
            {
                Assert.Empty(emitted);
            }
            _clock.Advance(TimeSpan.FromMilliseconds(1));
        }

        await handle.Completion.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await StreamAssert.AllStagesStoppedAsync(handle, _clock);
        Assert.Equal(5, store.Attempts);
        Assert.Equal(seeded, emitted.Select(r => r.Config));
        Assert.Equal(4, lookup.Statistics.FailedLoads);
        Assert.Equal(5, lookup.Statistics.Loads);
    }

    [Fact]
    public async Task A_lookup_join_must_backpressure_while_the_store_is_down_and_then_deliver_every_element()
    {
        var (pg, seeded) = await SeedAsync(10);
        var store = new RefusingStore(pg, failures: 2);
        var settings = new DeviceLookupSettings { CacheMaxRows = 0, BatchSize = 4, BatchTime = TimeSpan.FromHours(1), Parallelism = 2 }
            .WithBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), randomFactor: 0);
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        var probe = new SourceProbe<Reading>();
        var input = Enumerable.Range(0, 100).Select(i => new Reading(i, seeded[i % 10].DeviceId)).ToArray();
        probe.SendNext(input);
        probe.SendComplete();
        var handle = probe.Source.Via(Join(lookup)).RunWith(Sink.Seq<EnrichedReading>(), new Materializer(_clock));

        await Eventually.TrueAsync(() => store.Attempts == 2, "both batches in flight to fail");
        await _clock.WaitForArmedTimersAsync(2, cancellationToken: Ct);
        await Task.Delay(100, Ct); // real time for anything that would pull further

        // two batches in flight and at most one being filled: the source is held back, nothing is dropped
        Assert.InRange(probe.Pulls, 8, (settings.Parallelism + 1) * settings.BatchSize + 1);
        Assert.Equal(2, store.Attempts);

        _clock.Advance(TimeSpan.FromSeconds(1));
        var output = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(10), Ct);
        await StreamAssert.AllStagesStoppedAsync(handle, _clock);

        Assert.Equal(input.Select(r => r.Seq), output.Select(r => r.Seq));
        Assert.All(output, r => Assert.Equal(seeded[r.Seq % 10], r.Config));
        Assert.Equal(2, lookup.Statistics.FailedLoads);
    }

    [Fact]
    public async Task A_lookup_join_must_stop_promptly_when_cancelled_during_a_backoff()
    {
        var (pg, seeded) = await SeedAsync(1);
        var store = new RefusingStore(pg, failures: -1);
        var settings = new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }
            .WithBackoff(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        var handle = Source.From([new Reading(0, seeded[0].DeviceId)]).Via(Join(lookup)).RunWith(Sink.Seq<EnrichedReading>(), new Materializer(_clock));
        await Eventually.TrueAsync(() => store.Attempts == 1, "the first attempt");
        await _clock.WaitForArmedTimersAsync(1, cancellationToken: Ct);

        handle.Cancel();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct));
        await StreamAssert.AllStagesStoppedAsync(handle, _clock);
        Assert.Equal(1, store.Attempts);
    }

    [Fact]
    public async Task A_lookup_join_must_fail_the_stream_on_a_non_transient_store_error_without_retrying()
    {
        using var file = new SqliteFileFixture();
        var store = new SqliteDeviceConfigStore(file.ConnectionString); // schema never applied: "no such table"
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }, _clock);
        var handle = Source.From([new Reading(0, "d1"), new Reading(1, "d2")]).Via(Join(lookup))
            .RunWith(Sink.Seq<EnrichedReading>(), new Materializer(_clock, SupervisionStrategy.Resuming()));

        var error = await Assert.ThrowsAsync<SqliteException>(() => handle.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct));

        Assert.Contains("no such table", error.Message, StringComparison.Ordinal);
        await StreamAssert.AllStagesStoppedAsync(handle, _clock);
        Assert.Equal(1, store.LoadQueries);
        Assert.Equal(new DeviceLookupStatistics(1, 1, 1, 0, lookup.Statistics.Cache), lookup.Statistics);
    }

    [Fact]
    public async Task A_lookup_join_must_fail_the_stream_when_the_combine_function_throws_even_under_resuming_supervision()
    {
        var (store, seeded) = await SeedAsync(2);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }, _clock);
        var handle = Source.From([new Reading(0, seeded[0].DeviceId), new Reading(1, seeded[1].DeviceId)])
            .Via(lookup.JoinFlow<Reading, EnrichedReading>(r => r.DeviceId, (r, c) => r.Seq == 1 ? throw new FormatException("bad reading") : new EnrichedReading(r.Seq, r.DeviceId, c)))
            .RunWith(Sink.Seq<EnrichedReading>(), new Materializer(_clock, SupervisionStrategy.Resuming()));

        var error = await Assert.ThrowsAsync<FormatException>(() => handle.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct));

        Assert.Equal("bad reading", error.Message);
        await StreamAssert.AllStagesStoppedAsync(handle, _clock);
    }

    [Fact]
    public async Task A_lookup_join_must_look_up_a_null_device_id_as_the_empty_id_and_give_it_the_defaults()
    {
        var (store, _) = await SeedAsync(1);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1) }, _clock);
        var handle = Source.From([new Reading(0, "unused")])
            .Via(lookup.JoinFlow<Reading, DeviceConfig>(_ => null, (_, c) => c))
            .RunWith(Sink.Seq<DeviceConfig>(), new Materializer(_clock));

        var output = await handle.Completion.WaitAsync(TimeSpan.FromSeconds(5), Ct);

        Assert.Equal([DeviceConfig.Defaults(string.Empty)], output);
        Assert.Equal(1, lookup.Statistics.Cache.MissingDevices);
    }

    [Fact]
    public async Task A_lookup_join_must_enrich_from_an_sqlite_store_in_the_embedded_mode()
    {
        using var file = new SqliteFileFixture();
        var store = new SqliteDeviceConfigStore(file.ConnectionString, new DeviceConfigStoreOptions(AutoInitialize: true));
        var seeded = DeviceConfigGenerator.Generate(50, AlertTypes, _prefix);
        await store.UpsertAsync(seeded, Ct);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 25, BatchTime = TimeSpan.FromHours(1), Parallelism = 2 }, _clock);

        var output = await RunAsync(lookup, Enumerable.Range(0, 100).Select(i => new Reading(i, seeded[i % 50].DeviceId)), _clock);

        Assert.Equal(Enumerable.Range(0, 100), output.Select(r => r.Seq));
        Assert.Equal(seeded.Concat(seeded), output.Select(r => r.Config));
        Assert.Equal(2, store.LoadQueries); // batches 1 and 2 load 25 devices each; batches 3 and 4 are cache hits
    }
}
