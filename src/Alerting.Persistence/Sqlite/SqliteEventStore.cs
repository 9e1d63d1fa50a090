using System.Globalization;
using System.Runtime.CompilerServices;
using Alerting.Persistence.Sql;
using Microsoft.Data.Sqlite;

namespace Alerting.Persistence.Sqlite;

/// <summary>
/// <see cref="IEventStore"/> on an SQLite file through Microsoft.Data.Sqlite in WAL mode: the embedded default,
/// for a single instance. A write batch (events and offsets) is one <c>BEGIN IMMEDIATE</c> transaction; the
/// primary key (persistence_id, sequence_nr) fences concurrent writers exactly as on PostgreSQL.
/// </summary>
public sealed class SqliteEventStore : IEventStore
{
    private const int SqliteConstraint = 19;
    private static readonly EmbeddedSqlScripts Scripts = new(typeof(SqliteEventStore).Assembly, "Alerting.Persistence.Sql.");
    private static readonly IReadOnlyDictionary<string, string> Q = Scripts.Queries("Sqlite/queries.sql");

    private readonly SqliteEventStoreOptions _options;
    private readonly TimeProvider _time;
    private readonly string _pragmas;
    private readonly SchemaGate _schema;

    /// <summary>Creates the store; connections are opened per operation from Microsoft.Data.Sqlite's pool.</summary>
    /// <param name="options">Connection string and settings.</param>
    /// <param name="timeProvider">Clock for event and offset timestamps; the system clock when null.</param>
    public SqliteEventStore(SqliteEventStoreOptions options, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString);
        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        _pragmas = string.Create(CultureInfo.InvariantCulture,
            $"PRAGMA busy_timeout = {(long)options.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = NORMAL;");
        _schema = new SchemaGate(ApplySchemaAsync, options.AutoInitialize);
    }

    /// <summary>Switches the file to WAL mode and applies the embedded schema (idempotent).</summary>
    public async Task ApplySchemaAsync(CancellationToken cancellationToken)
    {
        await using var connection = await OpenAsync(cancellationToken);
        await using (var wal = connection.CreateCommand())
        {
            wal.CommandText = "PRAGMA journal_mode = WAL;";
            await wal.ExecuteNonQueryAsync(cancellationToken);
        }
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

    private async ValueTask<SqliteConnection> OpenAsync(CancellationToken cancellationToken)
    {
        var connection = new SqliteConnection(_options.ConnectionString);
        try
        {
            await connection.OpenAsync(cancellationToken);
            await using var cmd = connection.CreateCommand();
            cmd.CommandText = _pragmas;
            await cmd.ExecuteNonQueryAsync(cancellationToken);
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

    private static SqliteCommand Command(SqliteConnection connection, string name, SqliteTransaction? tx = null)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = Q[name];
        cmd.Transaction = tx;
        return cmd;
    }

    private long NowMs() => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets, CancellationToken cancellationToken)
    {
        WriteValidation.Validate(events, offsets);
        if (events.Count == 0 && offsets.Count == 0)
        {
            return;
        }
        var now = NowMs();
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        try
        {
            if (events.Count > 0)
            {
                await using var insert = Command(connection, "insert_event", tx);
                var id = insert.Parameters.Add("$id", SqliteType.Text);
                var seq = insert.Parameters.Add("$seq", SqliteType.Integer);
                var partition = insert.Parameters.Add("$partition", SqliteType.Text);
                insert.Parameters.AddWithValue("$at", now);
                var manifest = insert.Parameters.Add("$manifest", SqliteType.Text);
                var payload = insert.Parameters.Add("$payload", SqliteType.Blob);
                foreach (var e in events)
                {
                    id.Value = e.PersistenceId;
                    seq.Value = e.SequenceNr;
                    partition.Value = e.PartitionKey;
                    manifest.Value = e.Manifest;
                    payload.Value = e.Payload;
                    await insert.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            if (offsets.Count > 0)
            {
                await using var upsert = Command(connection, "upsert_offset", tx);
                var group = upsert.Parameters.Add("$group", SqliteType.Text);
                var topic = upsert.Parameters.Add("$topic", SqliteType.Text);
                var partition = upsert.Parameters.Add("$partition", SqliteType.Integer);
                var offset = upsert.Parameters.Add("$offset", SqliteType.Integer);
                upsert.Parameters.AddWithValue("$at", now);
                foreach (var o in offsets)
                {
                    group.Value = o.GroupId;
                    topic.Value = o.Topic;
                    partition.Value = o.Partition;
                    offset.Value = o.Offset;
                    await upsert.ExecuteNonQueryAsync(cancellationToken);
                }
            }
            await tx.CommitAsync(cancellationToken);
        }
        catch (SqliteException ex) when (ex.SqliteErrorCode == SqliteConstraint)
        {
            await tx.RollbackAsync(CancellationToken.None);
            throw new JournalConcurrencyException(
                "An event of the batch is already in the journal: another writer appended at the same persistence id and " +
                $"sequence number ({ex.Message}). Nothing of the batch was written, offsets included.", ex);
        }
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<PersistentEvent> ReplayAsync(string persistenceId, long fromSequenceNr, long toSequenceNr, long max,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        if (max <= 0 || fromSequenceNr > toSequenceNr)
        {
            yield break;
        }
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "replay");
        cmd.Parameters.AddWithValue("$id", persistenceId);
        cmd.Parameters.AddWithValue("$from", fromSequenceNr);
        cmd.Parameters.AddWithValue("$to", toSequenceNr);
        cmd.Parameters.AddWithValue("$max", max);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            yield return new PersistentEvent(persistenceId, reader.GetInt64(0), reader.GetString(2),
                reader.GetFieldValue<byte[]>(3), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        }
    }

    /// <inheritdoc />
    public async Task<long> ReadHighestSequenceNrAsync(string persistenceId, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "highest_sequence_nr");
        cmd.Parameters.AddWithValue("$id", persistenceId);
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc />
    public async Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var tx = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        foreach (var name in (string[])["delete_events", "flag_deleted"])
        {
            await using var cmd = Command(connection, name, tx);
            cmd.Parameters.AddWithValue("$id", persistenceId);
            cmd.Parameters.AddWithValue("$to", toSequenceNr);
            await cmd.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "read_offsets");
        cmd.Parameters.AddWithValue("$group", groupId);
        cmd.Parameters.AddWithValue("$topic", topic);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new Dictionary<int, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        return result;
    }

    /// <inheritdoc />
    public async Task SaveSnapshotAsync(SnapshotWrite snapshot, CancellationToken cancellationToken)
    {
        SnapshotValidation.Validate(snapshot);
        var m = snapshot.Metadata;
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "save_snapshot");
        cmd.Parameters.AddWithValue("$id", m.PersistenceId);
        cmd.Parameters.AddWithValue("$seq", m.SequenceNr);
        cmd.Parameters.AddWithValue("$partition", snapshot.PartitionKey);
        cmd.Parameters.AddWithValue("$at", m.Timestamp.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$manifest", snapshot.Manifest);
        cmd.Parameters.Add("$payload", SqliteType.Blob).Value = snapshot.Payload;
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<SelectedSnapshot?> LoadSnapshotAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "load_snapshot");
        AddCriteria(cmd, persistenceId, criteria);
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken))
        {
            return null;
        }
        var metadata = new SnapshotMetadata(persistenceId, reader.GetInt64(0), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(1)));
        return new SelectedSnapshot(metadata, reader.GetString(2), reader.GetFieldValue<byte[]>(3));
    }

    /// <inheritdoc />
    public async Task DeleteSnapshotsAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        ArgumentNullException.ThrowIfNull(criteria);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        await using var cmd = Command(connection, "delete_snapshots");
        AddCriteria(cmd, persistenceId, criteria);
        await cmd.ExecuteNonQueryAsync(cancellationToken);
    }

    private static void AddCriteria(SqliteCommand cmd, string persistenceId, SnapshotSelectionCriteria c)
    {
        cmd.Parameters.AddWithValue("$id", persistenceId);
        cmd.Parameters.AddWithValue("$max_seq", c.MaxSequenceNr);
        cmd.Parameters.AddWithValue("$max_at", c.MaxTimestamp.ToUnixTimeMilliseconds());
        cmd.Parameters.AddWithValue("$min_seq", c.MinSequenceNr);
        cmd.Parameters.AddWithValue("$min_at", c.EffectiveMinTimestamp.ToUnixTimeMilliseconds());
    }

    /// <inheritdoc />
    public async IAsyncEnumerable<RecoveredEntity> RecoverPartitionAsync(string partitionKey,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        await using var connection = await ReadyConnectionAsync(cancellationToken);
        // A deferred read transaction: both queries see the same WAL snapshot.
        await using var tx = connection.BeginTransaction(deferred: true);
        var snapshots = new Dictionary<string, SelectedSnapshot>(StringComparer.Ordinal);
        await using (var cmd = Command(connection, "recover_snapshots", tx))
        {
            cmd.Parameters.AddWithValue("$partition", partitionKey);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                var metadata = new SnapshotMetadata(id, reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
                snapshots[id] = new SelectedSnapshot(metadata, reader.GetString(3), reader.GetFieldValue<byte[]>(4));
            }
        }
        var assembler = new RecoveryAssembler(snapshots);
        await using (var cmd = Command(connection, "recover_events", tx))
        {
            cmd.Parameters.AddWithValue("$partition", partitionKey);
            await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
            string? lastId = null;
            while (await reader.ReadAsync(cancellationToken))
            {
                var id = reader.GetString(0);
                if (lastId is not null && string.Equals(lastId, id, StringComparison.Ordinal))
                {
                    id = lastId;
                }
                lastId = id;
                var e = new PersistentEvent(id, reader.GetInt64(1), reader.GetString(3), reader.GetFieldValue<byte[]>(4),
                    DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
                if (assembler.Add(e) is { } entity)
                {
                    yield return entity;
                }
            }
        }
        foreach (var entity in assembler.Finish())
        {
            yield return entity;
        }
        await tx.CommitAsync(cancellationToken);
    }
}
