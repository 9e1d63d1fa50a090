using System.Text.Json;
using Microsoft.Data.Sqlite;

namespace Alerting.Enrichment.Sqlite;

/// <summary>
/// <see cref="IDeviceConfigStore"/> on an SQLite file (the embedded mode) through Microsoft.Data.Sqlite,
/// connections opened per operation from its pool. A load is a single statement: the requested ids as one JSON
/// array parameter, read with <c>json_each</c> and LEFT JOINed with both tables. Overrides are stored as a JSON
/// array. An upsert writes both tables with prepared statements in one transaction per chunk.
/// </summary>
public sealed class SqliteDeviceConfigStore : IDeviceConfigStore
{
    private static readonly EmbeddedSqlScripts Scripts = new(typeof(SqliteDeviceConfigStore).Assembly, "Alerting.Enrichment.Sql.");
    private static readonly IReadOnlyDictionary<string, string> Q = Scripts.Queries("Sqlite/queries.sql");

    private readonly string _connectionString;
    private readonly DeviceConfigStoreOptions _options;
    private readonly SchemaGate _schema;
    private long _loadQueries;

    /// <summary>Creates the store over the database named by <paramref name="connectionString"/>.</summary>
    /// <param name="connectionString">A Microsoft.Data.Sqlite connection string, e.g. <c>Data Source=alerting.db</c>.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public SqliteDeviceConfigStore(string connectionString, DeviceConfigStoreOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        _connectionString = connectionString;
        _options = options ?? new DeviceConfigStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.UpsertChunkSize, 1, nameof(options));
        _schema = new SchemaGate(ApplySchemaAsync, _options.AutoInitialize);
    }

    /// <inheritdoc />
    public long LoadQueries => Interlocked.Read(ref _loadQueries);

    /// <inheritdoc />
    public async Task ApplySchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = connection.CreateCommand())
        {
            cmd.Transaction = tx;
            cmd.CommandText = Scripts.File("Sqlite/schema.sql");
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
        _schema.MarkApplied();
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<string, DeviceConfig>> LoadAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        var result = new Dictionary<string, DeviceConfig>(StringComparer.Ordinal);
        if (deviceIds.Count == 0)
        {
            return result;
        }
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = connection.CreateCommand();
        cmd.CommandText = Q["load"];
        cmd.Parameters.AddWithValue("@ids", JsonSerializer.Serialize(deviceIds.Distinct(StringComparer.Ordinal)));
        Interlocked.Increment(ref _loadQueries);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            var hasConfig = reader.GetBoolean(1);
            result[id] = new DeviceConfig(
                id,
                hasConfig ? reader.GetInt32(2) : 0,
                hasConfig ? reader.GetInt32(3) : 0,
                reader.IsDBNull(4) ? null : reader.GetString(4),
                reader.IsDBNull(5) ? null : reader.GetString(5),
                reader.IsDBNull(6) ? [] : JsonSerializer.Deserialize<string[]>(reader.GetString(6)) ?? []);
        }
        return result;
    }

    /// <inheritdoc />
    public async Task UpsertAsync(IReadOnlyCollection<DeviceConfig> configs, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(configs);
        if (configs.Count == 0)
        {
            return;
        }
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        foreach (var chunk in DeviceConfigRows.LastWins(configs).Chunk(_options.UpsertChunkSize))
        {
            await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
            await using var config = connection.CreateCommand();
            config.Transaction = tx;
            config.CommandText = Q["upsert_config"];
            var id = config.Parameters.Add("@id", SqliteType.Text);
            var version = config.Parameters.Add("@version", SqliteType.Integer);
            var level = config.Parameters.Add("@level", SqliteType.Integer);
            var info = config.Parameters.Add("@info", SqliteType.Text);
            await using var sla = connection.CreateCommand();
            sla.Transaction = tx;
            sla.CommandText = Q["upsert_sla"];
            var slaId = sla.Parameters.Add("@id", SqliteType.Text);
            var slaInfo = sla.Parameters.Add("@sla_info", SqliteType.Text);
            var overrides = sla.Parameters.Add("@overrides", SqliteType.Text);
            foreach (var c in chunk)
            {
                id.Value = c.DeviceId;
                version.Value = c.Version;
                level.Value = c.Level;
                info.Value = (object?)c.Info ?? DBNull.Value;
                await config.ExecuteNonQueryAsync(cancellationToken);
                slaId.Value = c.DeviceId;
                slaInfo.Value = (object?)c.SlaInfo ?? DBNull.Value;
                overrides.Value = JsonSerializer.Serialize(c.Overrides);
                await sla.ExecuteNonQueryAsync(cancellationToken);
            }
            await tx.CommitAsync(cancellationToken);
        }
    }

    private async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            return connection;
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    private async ValueTask<SqliteConnection> ReadyConnectionAsync(CancellationToken cancellationToken)
    {
        await _schema.EnsureAsync(cancellationToken);
        return await OpenAsync(cancellationToken);
    }
}
