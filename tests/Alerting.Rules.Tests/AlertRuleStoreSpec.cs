using Alerting.Rules.Storage;
using Alerting.TestKit;
using Microsoft.Data.Sqlite;

namespace Alerting.Rules.Tests;

/// <summary>The alert_rules contract, run on each database.</summary>
public abstract class AlertRuleStoreSpec
{
    protected abstract AlertRuleStore Store { get; }

    private static RuleInstance Pair(string id, int version = 1, bool enabled = true) => new(id, "fault-pair", new Dictionary<string, object?>
    {
        ["codeA"] = 101L, ["codeB"] = "102", ["window"] = "1m", ["alertType"] = "FAULT_PAIR", ["priority"] = 2, ["codes"] = new object[] { 1, 2 },
    }, enabled, version);

    [Fact]
    public async Task Rules_must_round_trip_and_compile_from_the_table()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        await Store.ApplySchemaAsync(CancellationToken.None); // idempotent
        await Store.UpsertAsync(Pair("b"), CancellationToken.None);
        await Store.UpsertAsync(Pair("a", 3, enabled: false), CancellationToken.None);

        var rules = (await Store.LoadAsync(CancellationToken.None)).Where(r => r.Id is "a" or "b").ToList();
        Assert.Equal([("a", 3, false), ("b", 1, true)], rules.Select(r => (r.Id, r.Version, r.Enabled)));
        Assert.Equal("fault-pair", rules[1].Template);
        Assert.Equal(["alertType", "codeA", "codeB", "codes", "priority", "window"], rules[1].Parameters.Keys.Order(StringComparer.Ordinal));

        var withoutList = rules.Select(r => r with { Parameters = r.Parameters.Where(p => p.Key != "codes").ToDictionary() });
        var compiled = RuleSetCompiler.Compile(1, withoutList, ShippedTemplatesSpec.Library, RuleTestKit.Schema);
        Assert.True(compiled.Succeeded, string.Join("\n", compiled.Errors));
        Assert.Equal(["b"], compiled.RuleSet!.Rules.Select(r => r.Id));
    }

    [Fact]
    public async Task A_bootstrap_must_be_kept_in_the_row_and_in_the_applied_set()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        await Store.UpsertAsync(Pair("boot-a") with { Bootstrap = TimeSpan.FromHours(2) }, CancellationToken.None);
        await Store.UpsertAsync(Pair("boot-b") with { Bootstrap = TimeSpan.FromMinutes(5), BootstrapAlerts = BootstrapAlerts.Suppress }, CancellationToken.None);
        await Store.UpsertAsync(Pair("boot-c"), CancellationToken.None);

        var rows = (await Store.LoadAsync(CancellationToken.None)).Where(r => r.Id.StartsWith("boot-", StringComparison.Ordinal)).ToList();
        Assert.Equal(
            [(TimeSpan.FromHours(2), BootstrapAlerts.Emit), (TimeSpan.FromMinutes(5), BootstrapAlerts.Suppress), ((TimeSpan?)null, BootstrapAlerts.Emit)],
            rows.Select(r => (r.Bootstrap, r.BootstrapAlerts)));

        var t0 = await LatestEffectiveAtAsync();
        var applied = await Store.ApplySetAsync(rows, t0 + 1_000, CancellationToken.None);
        var stored = (await Store.LoadSetsAsync(CancellationToken.None)).Single(s => s.Record.Version == applied.Version).Record;
        Assert.Equal(rows.Select(r => (r.Bootstrap, r.BootstrapAlerts)), stored.Rules.Select(r => (r.Bootstrap, r.BootstrapAlerts)));
        var published = Live.RuleSetRecord.FromBytes(applied.ToBytes());
        Assert.Equal(rows.Select(r => (r.Bootstrap, r.BootstrapAlerts)), published.Rules.Select(r => (r.Bootstrap, r.BootstrapAlerts)));
    }

    [Fact]
    public async Task A_bad_row_must_be_refused_naming_the_table()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        await Store.UpsertAsync(Pair("bad") with { Parameters = new Dictionary<string, object?> { ["codeA"] = "101) or any(", ["codeB"] = 102, ["window"] = "1m", ["alertType"] = "X", ["priority"] = 2 } }, CancellationToken.None);
        var rules = (await Store.LoadAsync(CancellationToken.None)).Where(r => r.Id == "bad");

        var error = Assert.Single(RuleSetCompiler.Compile(1, rules, ShippedTemplatesSpec.Library, RuleTestKit.Schema).Errors);
        Assert.Equal("rule 'bad' (template 'fault-pair'): alert_rules: parameter 'codeA' must be an integer, got \"101) or any(\"", error.ToString());
    }

    // a database shared by the class may hold earlier sets: new ones take effect after them
    private async Task<long> LatestEffectiveAtAsync() =>
        (await Store.ListSetsAsync(CancellationToken.None)).Select(v => v.EffectiveAt).DefaultIfEmpty(0).Max();

    [Fact]
    public async Task ApplySet_must_store_numbered_versions_and_replace_the_rules()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        var t0 = await LatestEffectiveAtAsync();
        var first = await Store.ApplySetAsync([Pair("a"), Pair("b")], t0 + 1_000, CancellationToken.None);
        var second = await Store.ApplySetAsync([Pair("b", 2), Pair("c", enabled: false)], t0 + 2_000, CancellationToken.None);

        // versions take effect in version order: an earlier effective time is refused and stores nothing
        await Assert.ThrowsAsync<RuleSetOrderException>(() => Store.ApplySetAsync([Pair("d")], t0 + 1_500, CancellationToken.None));

        Assert.Equal(second.Version, first.Version + 1);
        Assert.Equal([("b", 2, true), ("c", 1, false)], (await Store.LoadAsync(CancellationToken.None)).Select(r => (r.Id, r.Version, r.Enabled)));
        var sets = (await Store.LoadSetsAsync(CancellationToken.None)).TakeLast(2).ToList(); // a database shared by the class may hold earlier sets
        Assert.Equal([(first.Version, t0 + 1_000L, 2), (second.Version, t0 + 2_000L, 2)], sets.Select(s => (s.Record.Version, s.Record.EffectiveAt, s.Record.Rules.Count)));
        var listed = await Store.ListSetsAsync(CancellationToken.None);
        Assert.Equal([first.Version, second.Version], listed.TakeLast(2).Select(v => v.Version));

        // the stored rules compile as they were applied
        var stored = sets[1].Record.Rules.Select(r => r with { Parameters = r.Parameters.Where(p => p.Key != "codes").ToDictionary() });
        var compiled = RuleSetCompiler.Compile(second.Version, stored, ShippedTemplatesSpec.Library, RuleTestKit.Schema);
        Assert.True(compiled.Succeeded, string.Join("\n", compiled.Errors));
        Assert.Equal([("b", 2)], compiled.RuleSet!.Rules.Select(r => (r.Id, r.Version)));
    }

    [Fact]
    public async Task ApplySet_that_fails_must_change_nothing()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        var t0 = await LatestEffectiveAtAsync();
        var kept = await Store.ApplySetAsync([Pair("a")], t0 + 1_000, CancellationToken.None);

        // the same id twice breaks the table's key half-way through the transaction
        await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => Store.ApplySetAsync([Pair("x"), Pair("x")], t0 + 2_000, CancellationToken.None));

        Assert.Equal(["a"], (await Store.LoadAsync(CancellationToken.None)).Select(r => r.Id));
        Assert.Equal(kept.Version, (await Store.ListSetsAsync(CancellationToken.None))[^1].Version);
    }

    [Fact]
    public async Task Upsert_must_replace_and_delete_must_remove()
    {
        await Store.ApplySchemaAsync(CancellationToken.None);
        await Store.UpsertAsync(Pair("x"), CancellationToken.None);
        await Store.UpsertAsync(Pair("x", 2) with { Template = "threshold" }, CancellationToken.None);
        var rule = Assert.Single(await Store.LoadAsync(CancellationToken.None), r => r.Id == "x");
        Assert.Equal(("threshold", 2), (rule.Template, rule.Version));

        Assert.True(await Store.DeleteAsync("x", CancellationToken.None));
        Assert.False(await Store.DeleteAsync("x", CancellationToken.None));
        Assert.DoesNotContain(await Store.LoadAsync(CancellationToken.None), r => r.Id == "x");
    }
}

public sealed class SqliteAlertRuleStoreSpec : AlertRuleStoreSpec, IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"alert_rules_{Guid.NewGuid():N}.db");

    protected override AlertRuleStore Store => new(() => new SqliteConnection($"Data Source={_path};Pooling=false"), AlertRuleDialect.Sqlite);

    public void Dispose() => File.Delete(_path);

    [Fact]
    public async Task A_table_made_before_bootstraps_must_get_the_bootstrap_columns()
    {
        await using (var connection = new SqliteConnection($"Data Source={_path};Pooling=false"))
        {
            await connection.OpenAsync();
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = """
                CREATE TABLE alert_rules (rule_id TEXT PRIMARY KEY, template TEXT NOT NULL, params TEXT NOT NULL DEFAULT '{}',
                    enabled INTEGER NOT NULL DEFAULT 1, version INTEGER NOT NULL DEFAULT 1, updated_at TEXT NOT NULL DEFAULT '');
                INSERT INTO alert_rules (rule_id, template) VALUES ('old', 'fault-pair');
                """;
            await cmd.ExecuteNonQueryAsync();
        }

        await Store.ApplySchemaAsync(CancellationToken.None);
        await Store.ApplySchemaAsync(CancellationToken.None); // idempotent
        var old = Assert.Single(await Store.LoadAsync(CancellationToken.None));
        Assert.Equal(((TimeSpan?)null, BootstrapAlerts.Emit), (old.Bootstrap, old.BootstrapAlerts));
    }
}

public sealed class PostgresAlertRuleStoreSpec(PostgresFixture postgres) : AlertRuleStoreSpec, IClassFixture<PostgresFixture>
{
    protected override AlertRuleStore Store => new(postgres.DataSource.CreateConnection, AlertRuleDialect.PostgreSql);
}
