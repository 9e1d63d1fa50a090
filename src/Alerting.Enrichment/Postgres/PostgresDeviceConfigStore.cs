using System.Text.Json;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Enrichment.Postgres;

/// <summary>
/// <see cref="IDeviceConfigStore"/> on PostgreSQL through one shared <see cref="NpgsqlDataSource"/>. A load is a
/// single statement: the requested ids as one <c>text[]</c> parameter, unnested and LEFT JOINed with
/// <c>device_config</c> and <c>device_sla</c> (index lookups on both primary keys). An upsert writes both tables
/// with unnested array parameters, one batch and transaction per chunk. SQL lives in the embedded
/// <c>Sql/Postgres/*.sql</c>.
/// </summary>
public sealed class PostgresDeviceConfigStore : IDeviceConfigStore
{
    private static readonly EmbeddedSqlScripts Scripts = new(typeof(PostgresDeviceConfigStore).Assembly, "Alerting.Enrichment.Sql.");
    private static readonly IReadOnlyDictionary<string, string> Q = Scripts.Queries("Postgres/queries.sql");

    private readonly NpgsqlDataSource _dataSource;
    private readonly DeviceConfigStoreOptions _options;
    private readonly SchemaGate _schema;
    private long _loadQueries;

    /// <summary>Creates the store over <paramref name="dataSource"/>, which the caller owns and disposes.</summary>
    /// <param name="dataSource">The application's single data source for this database.</param>
    /// <param name="options">Settings; defaults when null.</param>
    public PostgresDeviceConfigStore(NpgsqlDataSource dataSource, DeviceConfigStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new DeviceConfigStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(_options.UpsertChunkSize, 1, nameof(options));
        _schema = new SchemaGate(ApplySchemaAsync, _options.AutoInitialize);
    }

    /// <inheritdoc />
    public long LoadQueries => Interlocked.Read(ref _loadQueries);

    /// <inheritdoc />
    public async Task ApplySchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var cmd = new NpgsqlCommand(Scripts.File("Postgres/schema.sql"), connection, tx))
        {
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
        await ReadyAsync(cancellationToken);
        var ids = deviceIds.Distinct(StringComparer.Ordinal).ToArray();
        await using var cmd = _dataSource.CreateCommand(Q["load"]);
        cmd.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
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
                reader.IsDBNull(6) ? [] : reader.GetFieldValue<string[]>(6));
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
        await ReadyAsync(cancellationToken);
        foreach (var chunk in DeviceConfigRows.LastWins(configs).Chunk(_options.UpsertChunkSize))
        {
            await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
            await using var tx = await connection.BeginTransactionAsync(cancellationToken);
            await using var batch = new NpgsqlBatch(connection, tx);

            var config = new NpgsqlBatchCommand(Q["upsert_config"]);
            config.Parameters.Add(TextArray("ids", chunk.Select(c => c.DeviceId)));
            config.Parameters.Add(new NpgsqlParameter<int[]>("versions", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. chunk.Select(c => c.Version)] });
            config.Parameters.Add(new NpgsqlParameter<int[]>("levels", NpgsqlDbType.Array | NpgsqlDbType.Integer) { TypedValue = [.. chunk.Select(c => c.Level)] });
            config.Parameters.Add(TextArray("infos", chunk.Select(c => c.Info)));
            batch.BatchCommands.Add(config);

            var sla = new NpgsqlBatchCommand(Q["upsert_sla"]);
            sla.Parameters.Add(TextArray("ids", chunk.Select(c => c.DeviceId)));
            sla.Parameters.Add(TextArray("sla_infos", chunk.Select(c => c.SlaInfo)));
            sla.Parameters.Add(TextArray("overrides", chunk.Select(c => JsonSerializer.Serialize(c.Overrides))));
            batch.BatchCommands.Add(sla);

            await batch.ExecuteNonQueryAsync(cancellationToken);
            await tx.CommitAsync(cancellationToken);
        }
    }

    private static NpgsqlParameter<string?[]> TextArray(string name, IEnumerable<string?> values) =>
        new(name, NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = [.. values] };

    private ValueTask ReadyAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);
}
