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

    /// <summary>Creates the tables when they do not exist, and adds the bootstrap columns to a table made before them.</summary>
    public async Task ApplySchemaAsync(CancellationToken cancellationToken)
    {
        var name = _dialect == AlertRuleDialect.PostgreSql ? "alert_rules.postgres.sql" : "alert_rules.sqlite.sql";
        await ExecuteAsync(await ScriptAsync(name, cancellationToken), null, cancellationToken);
        if (_dialect == AlertRuleDialect.Sqlite)
        {
            await using var connection = _connect();
            await connection.OpenAsync(cancellationToken);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = "SELECT COUNT(*) FROM pragma_table_info('alert_rules') WHERE name = 'bootstrap_ms'";
            if (Convert.ToInt64(await cmd.ExecuteScalarAsync(cancellationToken), System.Globalization.CultureInfo.InvariantCulture) == 0)
            {
                await ExecuteAsync(await ScriptAsync("alert_rules_bootstrap.sqlite.sql", cancellationToken), null, cancellationToken);
            }
        }
    }

    private static async Task<string> ScriptAsync(string name, CancellationToken cancellationToken)
    {
        await using var stream = typeof(AlertRuleStore).Assembly.GetManifestResourceStream(name)
            ?? throw new InvalidOperationException($"embedded resource {name} is missing");
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync(cancellationToken);
    }

    /// <summary>Inserts a rule instance, or replaces the one with the same id.</summary>
    public Task UpsertAsync(RuleInstance rule, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var now = _dialect == AlertRuleDialect.PostgreSql ? "now()" : "strftime('%Y-%m-%dT%H:%M:%fZ', 'now')";
        var sql = $"""
            INSERT INTO alert_rules (rule_id, template, params, enabled, version, bootstrap_ms, bootstrap_alerts)
            VALUES (@id, @template, {JsonParam}, @enabled, @version, @bootstrap, @bootstrapAlerts)
            ON CONFLICT (rule_id) DO UPDATE SET template = excluded.template, params = excluded.params,
                enabled = excluded.enabled, version = excluded.version, bootstrap_ms = excluded.bootstrap_ms,
                bootstrap_alerts = excluded.bootstrap_alerts, updated_at = {now}
            """;
        return ExecuteAsync(sql, cmd => AddRule(cmd, rule), cancellationToken);
    }

    /// <summary>The parameters of a rule row: <c>@id, @template, @params, @enabled, @version, @bootstrap, @bootstrapAlerts</c>.</summary>
    private static void AddRule(DbCommand cmd, RuleInstance rule)
    {
        Add(cmd, "id", rule.Id);
        Add(cmd, "template", rule.Template);
        Add(cmd, "params", JsonSerializer.Serialize(rule.Parameters));
        Add(cmd, "enabled", rule.Enabled);
        Add(cmd, "version", rule.Version);
        Add(cmd, "bootstrap", rule.Bootstrap is { } b ? (long)b.TotalMilliseconds : DBNull.Value);
        Add(cmd, "bootstrapAlerts", RuleInstance.BootstrapAlertsName(rule.BootstrapAlerts));
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
        cmd.CommandText = $"SELECT rule_id, template, {JsonColumn}, enabled, version, bootstrap_ms, bootstrap_alerts FROM alert_rules ORDER BY rule_id";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var rules = new List<RuleInstance>();
        while (await reader.ReadAsync(cancellationToken))
        {
            using var doc = JsonDocument.Parse(reader.GetString(2));
            var parameters = doc.RootElement.ValueKind == JsonValueKind.Object
                ? doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal)
                : new Dictionary<string, object?>(StringComparer.Ordinal);
            var mode = reader.GetString(6);
            rules.Add(new RuleInstance(reader.GetString(0), reader.GetString(1), parameters, reader.GetBoolean(3), reader.GetInt32(4))
            {
                Origin = TableOrigin,
                Bootstrap = reader.IsDBNull(5) ? null : TimeSpan.FromMilliseconds(reader.GetInt64(5)),
                BootstrapAlerts = RuleInstance.ParseBootstrapAlerts(mode) ?? throw new InvalidDataException($"alert_rules row '{reader.GetString(0)}': bootstrap_alerts '{mode}' is not emit or suppress"),
            });
        }

        return rules;
    }

    /// <summary>
    /// Stores <paramref name="rules"/> as the next version of the rule set, in one transaction: the set goes to
    /// <c>alert_rule_sets</c> (version = the highest so far + 1) and <c>alert_rules</c> is replaced by its rules. The
    /// caller validates the set first; a failure leaves both tables as they were. Versions take effect in version
    /// order, so an effective time before the latest version's is refused (<see cref="RuleSetOrderException"/>).
    /// </summary>
    /// <returns>The stored record, with its version.</returns>
    public async Task<Live.RuleSetRecord> ApplySetAsync(IReadOnlyList<RuleInstance> rules, long effectiveAt, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(rules);
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        if (_dialect == AlertRuleDialect.PostgreSql)
        {
            // concurrent applies take their versions one after the other
            await NonQueryAsync(connection, tx, "LOCK TABLE alert_rule_sets IN EXCLUSIVE MODE", null, cancellationToken);
        }

        long version;
        long latestEffectiveAt;
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = "SELECT COALESCE(MAX(version), 0) + 1, COALESCE(MAX(effective_at), 0) FROM alert_rule_sets";
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            await reader.ReadAsync(cancellationToken);
            version = reader.GetInt64(0);
            latestEffectiveAt = reader.GetInt64(1);
        }

        if (effectiveAt < latestEffectiveAt)
        {
            // versions take effect in version order: an earlier time would wait behind the version scheduled later
            throw new RuleSetOrderException(effectiveAt, latestEffectiveAt);
        }

        var rulesParam = _dialect == AlertRuleDialect.PostgreSql ? "CAST(@rules AS jsonb)" : "@rules";
        await NonQueryAsync(connection, tx, $"INSERT INTO alert_rule_sets (version, effective_at, rules) VALUES (@version, @at, {rulesParam})", cmd =>
        {
            Add(cmd, "version", version);
            Add(cmd, "at", effectiveAt);
            Add(cmd, "rules", Live.RuleSetRecord.RulesToJson(rules));
        }, cancellationToken);
        await NonQueryAsync(connection, tx, "DELETE FROM alert_rules", null, cancellationToken);
        foreach (var rule in rules)
        {
            await NonQueryAsync(connection, tx, $"INSERT INTO alert_rules (rule_id, template, params, enabled, version, bootstrap_ms, bootstrap_alerts) VALUES (@id, @template, {JsonParam}, @enabled, @version, @bootstrap, @bootstrapAlerts)", cmd => AddRule(cmd, rule), cancellationToken);
        }

        await tx.CommitAsync(cancellationToken);
        return new Live.RuleSetRecord(version, effectiveAt, rules);
    }

    /// <summary>The applied rule sets, oldest first, without their rules: version, effective time, when applied, rule count.</summary>
    public async Task<IReadOnlyList<RuleSetVersion>> ListSetsAsync(CancellationToken cancellationToken)
    {
        var sets = new List<RuleSetVersion>();
        foreach (var record in await LoadSetsAsync(cancellationToken))
        {
            sets.Add(new RuleSetVersion(record.Record.Version, record.Record.EffectiveAt, record.AppliedAt, record.Record.Rules.Count));
        }

        return sets;
    }

    /// <summary>The applied rule sets with their rules, oldest first.</summary>
    public async Task<IReadOnlyList<(Live.RuleSetRecord Record, string AppliedAt)>> LoadSetsAsync(CancellationToken cancellationToken)
    {
        await using var connection = _connect();
        await connection.OpenAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        var rules = _dialect == AlertRuleDialect.PostgreSql ? "rules::text" : "rules";
        var applied = _dialect == AlertRuleDialect.PostgreSql ? "to_char(applied_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')" : "applied_at";
        cmd.CommandText = $"SELECT version, effective_at, {rules}, {applied} FROM alert_rule_sets ORDER BY version";
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var sets = new List<(Live.RuleSetRecord, string)>();
        while (await reader.ReadAsync(cancellationToken))
        {
            var version = reader.GetInt64(0);
            var instances = Live.RuleSetRecord.RulesFromJson(reader.GetString(2), $"alert_rule_sets version {version}");
            sets.Add((new Live.RuleSetRecord(version, reader.GetInt64(1), instances), reader.GetString(3)));
        }

        return sets;
    }

    private static async Task NonQueryAsync(DbConnection connection, DbTransaction tx, string sql, Action<DbCommand>? bind, CancellationToken cancellationToken)
    {
        await using var cmd = connection.CreateCommand();
        cmd.Transaction = tx;
        cmd.CommandText = sql;
        bind?.Invoke(cmd);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
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

/// <summary>One applied rule set, as <c>alertctl rules list</c> shows it.</summary>
/// <param name="Version">The set's version.</param>
/// <param name="EffectiveAt">The event time (Unix ms) it takes effect at.</param>
/// <param name="AppliedAt">When it was stored (ISO-8601, UTC).</param>
/// <param name="Rules">How many rules it holds (disabled ones included).</param>
public sealed record RuleSetVersion(long Version, long EffectiveAt, string AppliedAt, int Rules);

/// <summary>A rule set whose effective time is before the latest applied version's: versions take effect in version order.</summary>
public sealed class RuleSetOrderException(long effectiveAt, long latestEffectiveAt)
    : InvalidOperationException($"effective time {DateTimeOffset.FromUnixTimeMilliseconds(effectiveAt):O} is before the latest version's ({DateTimeOffset.FromUnixTimeMilliseconds(latestEffectiveAt):O}); versions take effect in version order: give --effective-at at or after it")
{
    public long EffectiveAt { get; } = effectiveAt;

    public long LatestEffectiveAt { get; } = latestEffectiveAt;
}
