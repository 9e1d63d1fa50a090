using System.Data.Common;
using System.Text.Json;

namespace Alerting.Rules.Storage;

/// <summary>The SQL dialect of an <see cref="AlertRuleStore"/>.</summary>
public enum AlertRuleDialect
{
    PostgreSql,
    /// <summary>SQLite, the embedded mode's database.</summary>
    Sqlite,
}

/// <summary>
/// The <c>alert_rules</c> table: rule instances (id, template, parameters as a JSON object, enabled,
/// version) on PostgreSQL or SQLite through plain ADO.NET. Every value is a command parameter.
/// </summary>
public sealed class AlertRuleStore
{
    private readonly Func<DbConnection> _connect;
    private readonly AlertRuleDialect _dialect;

    /// <param name="connect">Creates a new, unopened connection (e.g. <c>dataSource.CreateConnection</c>).</param>
    /// <param name="dialect">The database's SQL dialect.</param>
    public AlertRuleStore(Func<DbConnection> connect, AlertRuleDialect dialect)
    {
        _connect = connect ?? throw new ArgumentNullException(nameof(connect));
        _dialect = dialect;
    }

    /// <summary>The origin of a rule read from the table: errors name the table (a row has no line or column).</summary>
    private static readonly RuleOrigin TableOrigin = new("alert_rules", 0, 0);

    private string JsonParam => _dialect == AlertRuleDialect.PostgreSql ? "CAST(@params AS jsonb)" : "@params";

    private string JsonColumn => _dialect == AlertRuleDialect.PostgreSql ? "params::text" : "params";

    /// <summary>Creates the table when it does not exist.</summary>
    public async Task ApplySchemaAsync(CancellationToken cancellationToken)
    {
        var name = _dialect == AlertRuleDialect.PostgreSql ? "alert_rules.postgres.sql" : "alert_rules.sqlite.sql";
        await using var stream = typeof(AlertRuleStore).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        var sql = await reader.ReadToEndAsync(cancellationToken);
        await ExecuteAsync(sql, null, cancellationToken);
    }

    /// <summary>Inserts a rule instance, or replaces the one with the same id.</summary>
    public Task UpsertAsync(RuleInstance rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var now = _dialect == AlertRuleDialect.PostgreSql ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
        var sql = $"""
            INSERT INTO alert_rules (rule_id, template, params, enabled, version)
            VALUES (@id, @template, {JsonParam}, @enabled, @version)
            ON CONFLICT (rule_id) DO UPDATE SET template = excluded.template, params = excluded.params,
                enabled = excluded.enabled, version = excluded.version, updated_at = {now}
            """;
        return ExecuteAsync(sql, cmd =>
        {
            Add(cmd, "id", rule.Id);
            Add(cmd, "template", rule.Template);
            Add(cmd, "params", JsonSerializer.Serialize(rule.Parameters));
            Add(cmd, "enabled", rule.Enabled);
            Add(cmd, "version", rule.Version);
        }, cancellationToken);
    }

    /// <summary>Deletes a rule instance; false when there was none.</summary>
    public async Task<bool> DeleteAsync(string ruleId, CancellationToken cancellationToken)
    {
        return await ExecuteAsync("DELETE FROM alert_rules WHERE rule_id = @id", cmd => Add(cmd, "id", ruleId), cancellationToken) > 0;
    }

    /// <summary>Every rule instance, enabled or not, ordered by id.</summary>
    public async Task<IReadOnlyList<RuleInstance>> LoadAsync(CancellationToken cancellationToken)
    {
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = $"SELECT rule_id, template, {JsonColumn}, enabled, version FROM alert_rules ORDER BY rule_id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rules = new List<RuleInstance>();
        while (await reader.ReadAsync(cancellationToken))
        {
            using var doc = JsonDocument.Parse(reader.GetString(2));
            var parameters = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal);
            rules.Add(new RuleInstance(reader.GetString(0), reader.GetString(1), parameters, reader.GetBoolean(3), reader.GetInt32(4)) { Origin = TableOrigin });
        }

        return rules;
    }

    private async Task<int> ExecuteAsync(string sql, Action<DbCommand>? bind, CancellationToken cancellationToken)
    {
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        bind?.Invoke(cmd);
        return await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void Add(DbCommand cmd, string name, object value)
    {
        var p = cmd.CreateParameter();
        p.ParameterName = name;
        p.Value = value;
        cmd.Parameters.Add(p);
    }
}
