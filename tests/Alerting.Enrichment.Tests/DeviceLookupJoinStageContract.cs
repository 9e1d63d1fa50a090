using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.Supervision;
using Akka.Streams.TestKit;
using Alerting.Enrichment.Postgres;
using Alerting.Enrichment.Sqlite;
using Alerting.TestKit;
using Alerting.TestKit.Time;
using Microsoft.Data.Sqlite;
using Xunit.Abstractions;

namespace Alerting.Enrichment.Tests;

/// <summary>
/// The lookup join as an Akka.Streams stage, against a real store: one subclass per backend (PostgreSQL, the
/// production store, and SQLite, the embedded one), which behave the same.
/// </summary>
public abstract class DeviceLookupJoinStageContract(ITestOutputHelper output) : StageSpec(output)
{
    private static readonly string[] AlertTypes = ["FaultA", "FaultB", "FaultC", "Alarm"];
    private readonly ManualTimeProvider _clock = new();
    private readonly string _prefix = "join-" + Guid.NewGuid().ToString("N")[..8] + "-";

    /// <summary>A store of the backend; with <paramref name="initialize"/> it applies its schema first.</summary>
    protected abstract IDeviceConfigStore CreateStore(bool initialize);

    protected ManualTimeProvider Clock => _clock;

    private string Ghost => _prefix + "ghost";

    private async Task<(IDeviceConfigStore Store, IReadOnlyList<DeviceConfig> Seeded)> SeedAsync(int devices)
    {
        var store = CreateStore(initialize: true);
        var seeded = DeviceConfigGenerator.Generate(devices, AlertTypes, _prefix);
        await store.UpsertAsync(seeded, CancellationToken.None);
        return (CreateStore(initialize: false), seeded); // a fresh store: its query counter starts at 0
    }

    protected static DeviceLookupJoinStage<Reading, EnrichedReading> Join(DeviceConfigLookup lookup) =>
        new(lookup, r => r.DeviceId, (r, c) => new EnrichedReading(r.Seq, r.DeviceId, c));

    private Task<IReadOnlyList<EnrichedReading>> RunAsync(DeviceConfigLookup lookup, IEnumerable<Reading> input) =>
        this.AssertAllStagesStoppedAsync(
            async () => (IReadOnlyList<EnrichedReading>)await Source.From(input.ToArray()).Via(Join(lookup)).RunWith(Sink.Seq<EnrichedReading>(), Materializer),
            Materializer);

    [Fact]
    public async Task A_lookup_join_stage_must_send_the_misses_of_a_batch_in_one_query_and_serve_repeats_from_the_cache()
    {
        var (store, seeded) = await SeedAsync(40);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 100, BatchTime = TimeSpan.FromHours(1), EagerBatches = false, Parallelism = 1 }, _clock);

        // 90 readings over devices 0..29: one batch (closed by the upstream's completion), 30 distinct misses, one query
        var first = await RunAsync(lookup, Enumerable.Range(0, 90).Select(i => new Reading(i, seeded[i % 30].DeviceId)));

        Assert.Equal(1, store.LoadQueries);
        Assert.Equal(Enumerable.Range(0, 90), first.Select(r => r.Seq));
        Assert.All(first, r => Assert.Equal(seeded.Single(s => s.DeviceId == r.DeviceId), r.Config));
        Assert.Equal(30, lookup.Cache.Statistics.Misses);

        // batches of 20: devices 0..19 all cached (no query), then 20..29 cached and 30..39 new (one query)
        var second = new DeviceConfigLookup(store, lookup.Settings with { BatchSize = 20 }, _clock);
        foreach (var config in seeded.Take(30))
        {
            second.Cache.Put(config);
        }

        var output = await RunAsync(second, Enumerable.Range(0, 40).Select(i => new Reading(i, seeded[i].DeviceId)));

        Assert.Equal(2, store.LoadQueries);
        Assert.Equal(seeded, output.Select(r => r.Config));
        Assert.Equal((2L, 1L), (second.Statistics.Batches, second.Statistics.Loads));
        Assert.Equal((30L, 10L), (second.Statistics.Cache.Hits, second.Statistics.Cache.Misses));
    }

    [Fact]
    public async Task A_lookup_join_stage_must_resolve_a_partial_batch_once_its_batch_time_has_passed()
    {
        var (store, seeded) = await SeedAsync(3);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 100, BatchTime = TimeSpan.FromSeconds(1), EagerBatches = false }, _clock);
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, down) = this.SourceProbe<Reading>()
                .Via(Join(lookup).WithAttributes(Attributes.CreateInputBuffer(1, 1)))
                .ToMaterialized(this.SinkProbe<EnrichedReading>(), Keep.Both)
                .Run(Materializer);
            down.Request(10);
            for (var i = 0; i < 3; i++)
            {
                await up.SendNextAsync(new Reading(i, seeded[i].DeviceId));
            }

            await up.ExpectRequestAsync(); // the stage took the third and asks for more: its batch timer runs
            await down.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
            Assert.Equal(0, store.LoadQueries);

            Scheduler.Advance(TimeSpan.FromSeconds(1));
            for (var i = 0; i < 3; i++)
            {
                Assert.Equal(seeded[i], (await down.ExpectNextAsync()).Config);
            }

            Assert.Equal(1, store.LoadQueries);
            await up.SendCompleteAsync();
            await down.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task An_eager_lookup_join_stage_must_send_a_batch_at_once_when_the_store_is_idle_and_gather_what_arrives_during_its_query()
    {
        var (seededStore, seeded) = await SeedAsync(4);
        var store = new GatedStore(seededStore);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 100, BatchTime = TimeSpan.FromHours(1), EagerBatches = true }, _clock);
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, down) = this.SourceProbe<Reading>()
                .Via(Join(lookup).WithAttributes(Attributes.CreateInputBuffer(1, 1)))
                .ToMaterialized(this.SinkProbe<EnrichedReading>(), Keep.Both)
                .Run(Materializer);
            down.Request(10);

            // the store is idle: the first reading is looked up alone, at once (the batch timer never fires here)
            await up.SendNextAsync(new Reading(0, seeded[0].DeviceId));
            await Eventually.TrueAsync(() => store.Requests.Count == 1, "the first reading's query");

            // while that query waits, the next readings gather into one batch
            for (var i = 1; i < 4; i++)
            {
                await up.SendNextAsync(new Reading(i, seeded[i].DeviceId));
            }

            await up.ExpectRequestAsync(); // the stage took the fourth reading and asks for more
            await down.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100));
            Assert.Equal([1], store.Requests.Select(r => r.Length));

            store.Open();
            for (var i = 0; i < 4; i++)
            {
                Assert.Equal(seeded[i], (await down.ExpectNextAsync()).Config);
            }

            Assert.Equal([1, 3], store.Requests.Select(r => r.Length));

            // a reading whose device is cached is emitted on the spot, without a query
            await up.SendNextAsync(new Reading(4, seeded[2].DeviceId));
            Assert.Equal(seeded[2], (await down.ExpectNextAsync()).Config);
            Assert.Equal([1, 3], store.Requests.Select(r => r.Length));
            await up.SendCompleteAsync();
            await down.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_pass_a_device_with_no_row_with_the_defaults_and_count_it_once_per_ttl()
    {
        var (store, seeded) = await SeedAsync(2);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, _clock);

        var output = await RunAsync(lookup, [new(0, Ghost), new(1, seeded[0].DeviceId), new(2, Ghost)]);
        var again = await RunAsync(lookup, [new(0, Ghost)]);

        Assert.Equal([0, 1, 2], output.Select(r => r.Seq));
        Assert.Equal(DeviceConfig.Defaults(Ghost), output[0].Config);
        Assert.True(output[2].Config.IsDefault);
        Assert.Equal(seeded[0], output[1].Config);
        Assert.True(again[0].Config.IsDefault);
        Assert.Equal(1, lookup.Statistics.Cache.MissingDevices);
        Assert.Equal(1, store.LoadQueries); // the defaults were cached: the second run asked nothing

        _clock.Advance(lookup.Settings.CacheTtl);
        await RunAsync(lookup, [new(0, Ghost)]);

        Assert.Equal(2, lookup.Statistics.Cache.MissingDevices);
        Assert.Equal(2, store.LoadQueries);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_reload_a_row_once_its_ttl_has_passed()
    {
        var (store, seeded) = await SeedAsync(1);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, _clock);
        var device = seeded[0].DeviceId;

        var before = await RunAsync(lookup, [new(0, device)]);
        await store.UpsertAsync([seeded[0] with { Version = 2, Level = 9 }], CancellationToken.None);
        _clock.Advance(TimeSpan.FromSeconds(59));
        var cached = await RunAsync(lookup, [new(0, device)]);
        _clock.Advance(TimeSpan.FromSeconds(1));
        var reloaded = await RunAsync(lookup, [new(0, device)]);

        Assert.Equal((1, 1, 2), (before[0].Config.Version, cached[0].Config.Version, reloaded[0].Config.Version));
        Assert.Equal(9, reloaded[0].Config.Level);
        Assert.Equal(1, lookup.Statistics.Cache.Expired);
        Assert.Equal(2, store.LoadQueries);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_back_off_exponentially_up_to_the_cap_while_the_store_refuses_and_emit_nothing_meanwhile()
    {
        var (sqlite, seeded) = await SeedAsync(3);
        var store = new RefusingStore(sqlite, failures: 4);
        var settings = new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false, Parallelism = 1 }
            .WithBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), randomFactor: 0);
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        var emitted = new List<EnrichedReading>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var done = Source.From(seeded.Select((c, i) => new Reading(i, c.DeviceId)).ToArray())
                .Via(Join(lookup))
                .RunWith(Sink.ForEach<EnrichedReading>(r =>
                {
                    lock (emitted)
                    {
                        emitted.Add(r);
                    }
                }), Materializer);

            // waits after failures 1..4: 1 s, 2 s, 4 s, 4 s (capped)
            foreach (var (wait, failuresSoFar) in new[] { (1, 1), (2, 2), (4, 3), (4, 4) })
            {
                await Eventually.TrueAsync(() => store.Attempts == failuresSoFar, $"attempt {failuresSoFar}");
                await _clock.WaitForArmedTimersAsync(1);
                _clock.Advance(TimeSpan.FromSeconds(wait) - TimeSpan.FromMilliseconds(1));
                Assert.Equal(1, _clock.ArmedTimers); // not yet due: no new attempt
                Assert.Equal(failuresSoFar, store.Attempts);
                lock (emitted)
                {
                    Assert.Empty(emitted);
                }

                _clock.Advance(TimeSpan.FromMilliseconds(1));
            }

            await done.WaitAsync(TimeSpan.FromSeconds(20));
        }, Materializer);

        Assert.Equal(5, store.Attempts);
        Assert.Equal(seeded, emitted.Select(r => r.Config));
        Assert.Equal((4L, 5L), (lookup.Statistics.FailedLoads, lookup.Statistics.Loads));
    }

    [Fact]
    public async Task A_lookup_join_stage_must_keep_the_upstream_order_with_parallelism_above_one()
    {
        var (sqlite, seeded) = await SeedAsync(300);
        var store = new DelayingStore(sqlite, maxDelayMs: 25);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { CacheMaxRows = 50, BatchSize = 16, BatchTime = TimeSpan.FromHours(1), EagerBatches = false, Parallelism = 8 });
#pragma warning disable CA5394 // test data
        var random = new Random(42);
        var input = Enumerable.Range(0, 2000).Select(i => new Reading(i, seeded[random.Next(seeded.Count)].DeviceId)).ToArray();
#pragma warning restore CA5394

        var output = await RunAsync(lookup, input);

        Assert.Equal(input.Select(r => r.Seq), output.Select(r => r.Seq));
        var byId = seeded.ToDictionary(c => c.DeviceId);
        Assert.All(output, r => Assert.Equal(byId[r.DeviceId], r.Config));
        Assert.True(store.MaxConcurrentLoads > 1, $"expected batches resolved in parallel, saw at most {store.MaxConcurrentLoads} at once");
        Assert.True(lookup.Statistics.Cache.Evictions > 0);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_backpressure_while_the_store_is_down_and_then_deliver_every_element()
    {
        var (sqlite, seeded) = await SeedAsync(10);
        var store = new RefusingStore(sqlite, failures: 2);
        var settings = new DeviceLookupSettings { CacheMaxRows = 0, BatchSize = 4, BatchTime = TimeSpan.FromHours(1), EagerBatches = false, Parallelism = 2 }
            .WithBackoff(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(8), randomFactor: 0);
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        var input = Enumerable.Range(0, 100).Select(i => new Reading(i, seeded[i % 10].DeviceId)).ToArray();
        var pulled = 0;

        var output = await this.AssertAllStagesStoppedAsync(async () =>
        {
            var done = Source.From(input)
                .Select(r =>
                {
                    Interlocked.Increment(ref pulled);
                    return r;
                })
                .Via(Join(lookup))
                .RunWith(Sink.Seq<EnrichedReading>(), Materializer);

            await Eventually.TrueAsync(() => store.Attempts == 2, "both batches in flight to fail");
            await _clock.WaitForArmedTimersAsync(2);
            await Task.Delay(100); // real time for anything that would pull further

            // two batches resolving and one being filled: the source is held back, nothing is dropped
            Assert.InRange(Volatile.Read(ref pulled), 8, ((settings.Parallelism + 1) * settings.BatchSize) + 1);
            Assert.Equal(2, store.Attempts);

            _clock.Advance(TimeSpan.FromSeconds(1));
            return await done.WaitAsync(TimeSpan.FromSeconds(20));
        }, Materializer);

        Assert.Equal(input.Select(r => r.Seq), output.Select(r => r.Seq));
        Assert.All(output, r => Assert.Equal(seeded[r.Seq % 10], r.Config));
        Assert.Equal(2, lookup.Statistics.FailedLoads);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_cancel_the_lookup_and_its_backoff_when_downstream_cancels()
    {
        var (sqlite, seeded) = await SeedAsync(1);
        var store = new RefusingStore(sqlite, failures: -1);
        var settings = new DeviceLookupSettings { BatchSize = 1, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }
            .WithBackoff(TimeSpan.FromMinutes(1), TimeSpan.FromMinutes(10));
        var lookup = new DeviceConfigLookup(store, settings, _clock);
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, down) = this.SourceProbe<Reading>().Via(Join(lookup)).ToMaterialized(this.SinkProbe<EnrichedReading>(), Keep.Both).Run(Materializer);
            down.Request(1);
            await up.SendNextAsync(new Reading(0, seeded[0].DeviceId));
            await Eventually.TrueAsync(() => store.Attempts == 1, "the first attempt");
            await _clock.WaitForArmedTimersAsync(1);

            await down.CancelAsync();

            await up.ExpectCancellationAsync();
            await Eventually.TrueAsync(() => _clock.ArmedTimers == 0, "the backoff wait to be cancelled");
        }, Materializer);
        Assert.Equal(1, store.Attempts);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_fail_the_stream_when_the_combine_function_throws_even_under_resuming_supervision()
    {
        var (store, seeded) = await SeedAsync(2);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, _clock);
        var join = new DeviceLookupJoinStage<Reading, EnrichedReading>(
            lookup, r => r.DeviceId, (r, c) => r.Seq == 1 ? throw new FormatException("bad reading") : new EnrichedReading(r.Seq, r.DeviceId, c));
        var error = await this.AssertAllStagesStoppedAsync(
            () => Assert.ThrowsAsync<FormatException>(() => Source.From([new Reading(0, seeded[0].DeviceId), new Reading(1, seeded[1].DeviceId)])
                .Via(join)
                .WithAttributes(ActorAttributes.CreateSupervisionStrategy(Deciders.ResumingDecider))
                .RunWith(Sink.Seq<EnrichedReading>(), Materializer)),
            Materializer);

        Assert.Equal("bad reading", error.Message);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_look_up_a_null_device_id_as_the_empty_id_and_give_it_the_defaults()
    {
        var (store, _) = await SeedAsync(1);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, _clock);
        var output = await this.AssertAllStagesStoppedAsync(
            () => Source.From([new Reading(0, "unused")])
                .Via(new DeviceLookupJoinStage<Reading, DeviceConfig>(lookup, _ => null, (_, c) => c))
                .RunWith(Sink.Seq<DeviceConfig>(), Materializer),
            Materializer);

        Assert.Equal([DeviceConfig.Defaults(string.Empty)], output);
        Assert.Equal(1, lookup.Statistics.Cache.MissingDevices);
    }

    [Fact]
    public async Task A_lookup_join_stage_must_complete_at_once_on_an_empty_upstream_without_asking_the_store()
    {
        var (store, _) = await SeedAsync(1);
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, _clock);
        Assert.Empty(await RunAsync(lookup, []));
        Assert.Equal(0, store.LoadQueries);
    }
}

/// <summary>The lookup join stage against an SQLite file, the embedded mode's store.</summary>
public sealed class SqliteDeviceLookupJoinStageSpec(ITestOutputHelper output) : DeviceLookupJoinStageContract(output), IDisposable
{
    private readonly SqliteFileFixture _file = new();

    void IDisposable.Dispose()
    {
        _file.Dispose();
        Dispose();
    }

    protected override IDeviceConfigStore CreateStore(bool initialize) =>
        new SqliteDeviceConfigStore(_file.ConnectionString, new DeviceConfigStoreOptions(AutoInitialize: initialize));

    [Fact]
    public async Task A_lookup_join_stage_must_fail_the_stream_on_a_non_transient_store_error_even_under_resuming_supervision()
    {
        var store = new SqliteDeviceConfigStore(_file.ConnectionString); // schema never applied: "no such table"
        var lookup = new DeviceConfigLookup(store, new DeviceLookupSettings { BatchSize = 10, BatchTime = TimeSpan.FromHours(1), EagerBatches = false }, Clock);
        var error = await this.AssertAllStagesStoppedAsync(
            () => Assert.ThrowsAsync<SqliteException>(() => Source.From([new Reading(0, "d1"), new Reading(1, "d2")])
                .Via(Join(lookup))
                .WithAttributes(ActorAttributes.CreateSupervisionStrategy(Deciders.ResumingDecider))
                .RunWith(Sink.Seq<EnrichedReading>(), Materializer)),
            Materializer);

        Assert.Contains("no such table", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.LoadQueries);
        Assert.Equal((1L, 1L, 1L), (lookup.Statistics.Batches, lookup.Statistics.Loads, lookup.Statistics.FailedLoads));
    }
}

/// <summary>The lookup join stage against PostgreSQL, the production store.</summary>
public sealed class PostgresDeviceLookupJoinStageSpec(PostgresFixture postgres, ITestOutputHelper output)
    : DeviceLookupJoinStageContract(output), IClassFixture<PostgresFixture>
{
    protected override IDeviceConfigStore CreateStore(bool initialize) =>
        new PostgresDeviceConfigStore(postgres.DataSource, new DeviceConfigStoreOptions(AutoInitialize: initialize));
}
