using Alerting.Persistence.Sql;
using Npgsql;

namespace Alerting.Persistence.Postgres;

/// <summary>
/// <see cref="IEventStore"/> on PostgreSQL through one shared <see cref="NpgsqlDataSource"/>. Appends go out as a
/// single multi-row INSERT (small batches, one round trip, implicit transaction) or as binary COPY in an explicit
/// transaction (large batches); the consumer offsets ride in the same transaction. The primary key
/// (persistence_id, sequence_nr) fences concurrent writers: a duplicate fails the whole batch with
/// <see cref="JournalConcurrencyException"/>. The schema comes from the embedded <c>Sql/Postgres/schema.sql</c>.
/// </summary>
public sealed partial class PostgresEventStore : IEventStore
{
    private static readonly EmbeddedSqlScripts Scripts = new(typeof(PostgresEventStore).Assembly, "Alerting.Persistence.Sql.");
    private static readonly IReadOnlyDictionary<string, string> Q = Scripts.Queries("Postgres/queries.sql");

    private readonly NpgsqlDataSource _dataSource;
    private readonly PostgresEventStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly SchemaGate _schema;

    /// <summary>Creates the store over <paramref name="dataSource"/>, which the caller owns and disposes.</summary>
    /// <param name="dataSource">The application's single data source for this database.</param>
    /// <param name="options">Settings; defaults when null.</param>
    /// <param name="timeProvider">Clock for event and offset timestamps; the system clock when null.</param>
    public PostgresEventStore(NpgsqlDataSource dataSource, PostgresEventStoreOptions? options = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        _dataSource = dataSource;
        _options = options ?? new PostgresEventStoreOptions();
        _time = timeProvider ?? TimeProvider.System;
        _schema = new SchemaGate(ApplySchemaAsync, _options.AutoInitialize);
    }

    /// <summary>Applies the embedded schema now (idempotent, safe to run from several instances at once).</summary>
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

    private ValueTask ReadyAsync(CancellationToken cancellationToken) => _schema.EnsureAsync(cancellationToken);

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    private static NpgsqlParameter<T> P<T>(T value) => new() { TypedValue = value };

    private static NpgsqlBatchCommand BatchCommand(string name, params NpgsqlParameter[] parameters)
    {
        var cmd = new NpgsqlBatchCommand(Q[name]);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }

    private NpgsqlCommand Command(string name, params NpgsqlParameter[] parameters)
    {
        var cmd = _dataSource.CreateCommand(Q[name]);
        cmd.Parameters.AddRange(parameters);
        return cmd;
    }
}
