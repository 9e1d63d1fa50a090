namespace Alerting.Enrichment.Tests;

/// <summary>The store contract, run on every backend. Each test uses its own device-id prefix, so tests share a database.</summary>
public abstract class DeviceConfigStoreContract : IDisposable
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));

    protected CancellationToken Ct => _timeout.Token;

    public void Dispose()
    {
        _timeout.Dispose();
        GC.SuppressFinalize(this);
    }

    /// <summary>A new store over the backend's database, applying the schema itself.</summary>
    protected abstract IDeviceConfigStore CreateStore();

    /// <summary>Runs raw SQL on the backend's database (to write rows the store API cannot: one table only).</summary>
    protected abstract Task ExecuteAsync(string sql);

    private static string Prefix() => "dev-" + Guid.NewGuid().ToString("N")[..8] + "-";

    [Fact]
    public async Task A_store_must_load_what_it_upserted_with_all_columns()
    {
        var store = CreateStore();
        var p = Prefix();
        DeviceConfig[] configs =
        [
            new(p + "1", 3, 5, "press line 1", "gold", ["FaultB", "Alarm"]),
            new(p + "2", 1, 2, null, null, []),
        ];
        await store.UpsertAsync(configs, Ct);

        var loaded = await store.LoadAsync([p + "1", p + "2"], Ct);

        Assert.Equal(2, loaded.Count);
        Assert.Equal(configs[0], loaded[p + "1"]);
        Assert.Equal(configs[1], loaded[p + "2"]);
        Assert.False(loaded[p + "1"].IsDefault);
        Assert.True(loaded[p + "1"].Covers("Alarm"));
        Assert.False(loaded[p + "1"].Covers("FaultA"));
    }

    [Fact]
    public async Task A_store_must_leave_devices_without_a_row_out_of_the_result()
    {
        var store = CreateStore();
        var p = Prefix();
        await store.UpsertAsync([new(p + "known", 1, 1, "x", null, [])], Ct);

        var loaded = await store.LoadAsync([p + "known", p + "unknown"], Ct);

        Assert.Equal([p + "known"], loaded.Keys);
        Assert.Equal(1, store.LoadQueries);
    }

    [Fact]
    public async Task A_store_must_issue_no_query_for_an_empty_request()
    {
        var store = CreateStore();

        var loaded = await store.LoadAsync([], Ct);

        Assert.Empty(loaded);
        Assert.Equal(0, store.LoadQueries);
    }

    [Fact]
    public async Task A_store_must_load_thousands_of_devices_in_one_query()
    {
        var store = CreateStore();
        var p = Prefix();
        var configs = DeviceConfigGenerator.Generate(3000, ["FaultA", "FaultB", "Alarm"], p);
        await store.UpsertAsync(configs, Ct);

        var ids = configs.Select(c => c.DeviceId).Concat([p + "missing-1", p + "missing-2"]).ToArray();
        var loaded = await store.LoadAsync(ids, Ct);

        Assert.Equal(1, store.LoadQueries);
        Assert.Equal(3000, loaded.Count);
        foreach (var config in configs)
        {
            Assert.Equal(config, loaded[config.DeviceId]);
        }
    }

    [Fact]
    public async Task A_store_must_replace_rows_on_upsert_and_let_the_last_of_repeated_ids_win()
    {
        var store = CreateStore();
        var p = Prefix();
        await store.UpsertAsync([new(p + "1", 1, 1, "old", "old-sla", ["A"])], Ct);

        await store.UpsertAsync([new(p + "1", 2, 4, "mid", null, []), new(p + "1", 3, 5, "new", "new-sla", ["B", "C"])], Ct);

        var loaded = await store.LoadAsync([p + "1"], Ct);
        Assert.Equal(new DeviceConfig(p + "1", 3, 5, "new", "new-sla", ["B", "C"]), loaded[p + "1"]);
    }

    [Fact]
    public async Task A_store_must_fill_the_columns_of_a_missing_table_row_with_defaults()
    {
        var store = CreateStore();
        await store.ApplySchemaAsync(Ct);
        var p = Prefix();
        await ExecuteAsync($"INSERT INTO device_config (device_id, version, level, info) VALUES ('{p}config-only', 4, 2, 'cfg')");
        await ExecuteAsync($"INSERT INTO device_sla (device_id, info, overrides) VALUES ('{p}sla-only', 'sla', {OverridesLiteral("X", "Y")})");

        var loaded = await store.LoadAsync([p + "config-only", p + "sla-only"], Ct);

        Assert.Equal(new DeviceConfig(p + "config-only", 4, 2, "cfg", null, []), loaded[p + "config-only"]);
        Assert.Equal(new DeviceConfig(p + "sla-only", 0, 0, null, "sla", ["X", "Y"]), loaded[p + "sla-only"]);
    }

    [Fact]
    public async Task A_store_must_apply_its_schema_idempotently()
    {
        var store = CreateStore();
        await store.ApplySchemaAsync(Ct);
        await store.ApplySchemaAsync(Ct);
        var p = Prefix();
        await store.UpsertAsync([new(p + "1", 1, 1, null, null, [])], Ct);

        Assert.Single(await store.LoadAsync([p + "1"], Ct));
    }

    /// <summary>The backend's literal for an overrides list.</summary>
    protected abstract string OverridesLiteral(params string[] types);
}
