using System.Text;
using Alerting.Cli;
using Alerting.Rules.Live;
using Alerting.Rules.Storage;
using Microsoft.Data.Sqlite;

namespace Alerting.Rules.Tests;

/// <summary><c>alertctl rules apply</c> and <c>rules list</c> against an SQLite rule store and the embedded broker.</summary>
public sealed class AlertCtlApplySpec(EmbeddedKafkaFixture kafka, PostgresFixture postgres) : IClassFixture<EmbeddedKafkaFixture>, IClassFixture<PostgresFixture>, IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("alertctl-apply").FullName;

    private const string Good = """
        rules = [
          { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType = "FAULT_PAIR", priority = 2 } }
          { id = "ca", template = "fault-then-alarm", params { code = 103, window = 1m, alertType = "FAULT_ALARM", priority = 3 }, version = 4 }
        ]
        """;

    private const string Bad = """
        rules = [
          { id = "ab", template = "fault-pair", params { codeA = 101, codeB = 102, window = 1m, alertType = "FAULT_PAIR", priority = 2 } }
          { id = "cd", template = "fault-pair", params { codeA = "oops", codeB = 102, window = 1m, alertType = "X", priority = 2 } }
        ]
        """;

    private string Write(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private string Config(string topic) => Write("service.conf", $$"""
        alerting {
          kafka { bootstrap-servers = "{{kafka.BootstrapServers}}", topics.control = "{{topic}}" }
          persistence { provider = sqlite, sqlite-path = "{{Path.Combine(_dir, "rules.db")}}" }
        }
        """);

    private string PostgresConfig(string topic) => Write("service-pg.conf", $$"""
        alerting {
          kafka { bootstrap-servers = "{{kafka.BootstrapServers}}", topics.control = "{{topic}}" }
          persistence { provider = postgres, connection-string = "{{postgres.ConnectionString}}" }
        }
        """);

    private AlertRuleStore Store => new(() => new SqliteConnection($"Data Source={Path.Combine(_dir, "rules.db")};Pooling=false"), AlertRuleDialect.Sqlite);

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        string[] templates = args[1] == "apply" ? ["--templates", Path.Combine(AppContext.BaseDirectory, "templates")] : [];
        var code = AlertCtl.Run([.. args, .. templates], stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public async Task Rules_apply_must_store_a_new_version_and_publish_it_on_the_control_topic()
    {
        var topic = kafka.CreateTopic("control", 1);
        var config = Config(topic);

        var first = Run("rules", "apply", Write("a.conf", Good), "--effective-at", "2026-12-05T03:00:00Z", "--config", config);
        Assert.True(first.Code == 0, first.Err);
        Assert.Contains("rule set version 1 applied: 2 enabled rule(s) of 2, effective at 2026-12-05T03:00:00.000Z", first.Out, StringComparison.Ordinal);
        var second = Run("rules", "apply", Write("b.conf", Good), "--effective-at", "1796450400000", "--config", config);
        Assert.True(second.Code == 0, second.Err);

        // versions take effect in version order: a time before the latest version's is refused, nothing stored
        var earlier = Run("rules", "apply", Write("c.conf", Good), "--effective-at", "2026-12-05T02:00:00Z", "--config", config);
        Assert.Equal(1, earlier.Code);
        Assert.Contains("is before the latest version's", earlier.Err, StringComparison.Ordinal);

        var records = await kafka.ReadAsync(topic, 2, TimeSpan.FromSeconds(30), CancellationToken.None);
        var decoded = records.Select(r => RuleSetRecord.FromBytes(Encoding.UTF8.GetBytes(r.Message.Value))).ToList();
        Assert.Equal([RuleSetRecord.KeyOf(1), RuleSetRecord.KeyOf(2)], records.Select(r => r.Message.Key));
        Assert.Equal([(1L, DateTimeOffset.Parse("2026-12-05T03:00:00Z", System.Globalization.CultureInfo.InvariantCulture).ToUnixTimeMilliseconds()), (2L, 1796450400000L)], decoded.Select(d => (d.Version, d.EffectiveAt)));
        Assert.Equal([("ab", 1), ("ca", 4)], decoded[0].Rules.Select(r => (r.Id, r.Version)));
        var compiled = RuleSetCompiler.Compile(decoded[0].Version, decoded[0].Rules, ShippedTemplatesSpec.Library, RuleTestKit.Schema);
        Assert.True(compiled.Succeeded, string.Join("\n", compiled.Errors));

        Assert.Equal(["ab", "ca"], (await Store.LoadAsync(CancellationToken.None)).Select(r => r.Id));
        var list = Run("rules", "list", "--config", config);
        Assert.True(list.Code == 0, list.Err);
        var lines = list.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("      1  2026-12-05T03:00:00.000Z", lines[1], StringComparison.Ordinal);
        Assert.StartsWith("      2  ", lines[2], StringComparison.Ordinal);
        Assert.StartsWith("latest: version 2", lines[3], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rules_apply_of_a_refused_set_must_exit_1_naming_rule_line_and_column_and_change_nothing()
    {
        var topic = kafka.CreateTopic("control", 1);
        var config = Config(topic);
        Assert.Equal(0, Run("rules", "apply", Write("a.conf", Good), "--config", config).Code);

        var refused = Run("rules", "apply", Write("bad.conf", Bad), "--config", config);

        Assert.Equal(1, refused.Code);
        Assert.Contains("rule 'cd' (template 'fault-pair')", refused.Err, StringComparison.Ordinal);
        Assert.Contains("at line 3, column", refused.Err, StringComparison.Ordinal);
        Assert.Equal([1L], (await Store.ListSetsAsync(CancellationToken.None)).Select(v => v.Version));
        Assert.Equal(["ab", "ca"], (await Store.LoadAsync(CancellationToken.None)).Select(r => r.Id));
        var published = await kafka.ReadAsync(topic, 1, TimeSpan.FromSeconds(30), CancellationToken.None);
        Assert.Equal([RuleSetRecord.KeyOf(1)], published.Select(r => r.Message.Key));
    }

    [Fact]
    public async Task Rules_apply_must_store_its_versions_in_PostgreSQL_when_the_service_uses_it()
    {
        var topic = kafka.CreateTopic("control", 1);
        var config = PostgresConfig(topic);

        var applied = Run("rules", "apply", Write("a.conf", Good), "--effective-at", "2026-12-05T03:00:00Z", "--config", config);
        Assert.True(applied.Code == 0, applied.Err);
        var refused = Run("rules", "apply", Write("bad.conf", Bad), "--config", config);
        Assert.Equal(1, refused.Code);

        var store = new AlertRuleStore(postgres.DataSource.CreateConnection, AlertRuleDialect.PostgreSql);
        var sets = await store.LoadSetsAsync(CancellationToken.None);
        var set = Assert.Single(sets).Record;
        Assert.Equal((1L, 2), (set.Version, set.Rules.Count));
        Assert.Equal(["ab", "ca"], (await store.LoadAsync(CancellationToken.None)).Select(r => r.Id));
        var list = Run("rules", "list", "--config", config);
        Assert.True(list.Code == 0, list.Err);
        Assert.Contains("latest: version 1", list.Out, StringComparison.Ordinal);
        Assert.Equal([RuleSetRecord.KeyOf(1)], (await kafka.ReadAsync(topic, 1, TimeSpan.FromSeconds(30), CancellationToken.None)).Select(r => r.Message.Key));
    }

    [Fact]
    public void Rules_apply_must_refuse_an_effective_time_that_is_not_one()
    {
        var result = Run("rules", "apply", Write("a.conf", Good), "--effective-at", "soon", "--config", Config("unused"));
        Assert.Equal(1, result.Code);
        Assert.Contains("--effective-at \"soon\" is not a time", result.Err, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(_dir, "rules.db")));
    }

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_dir, recursive: true);
    }
}
