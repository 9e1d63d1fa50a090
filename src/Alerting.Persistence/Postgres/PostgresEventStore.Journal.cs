using System.Runtime.CompilerServices;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Persistence.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    public async Task WriteAsync(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets, CancellationToken cancellationToken)
    {
        WriteValidation.Validate(events, offsets);
        if (events.Count == 0 && offsets.Count == 0)
        {
            return;
        }
        await ReadyAsync(cancellationToken);
        offsets = WriteValidation.Distinct(offsets);
        var now = NowMs();
        try
        {
            if (events.Count >= _options.CopyThreshold)
            {
                await WriteWithCopyAsync(events, offsets, now, cancellationToken);
            }
            else
            {
                await WriteWithInsertAsync(events, offsets, now, cancellationToken);
            }
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation && ex.ConstraintName == "journal_pk")
        {
            throw new JournalConcurrencyException(
                "An event of the batch is already in the journal: another writer appended at the same persistence id and " +
                $"sequence number ({ex.Detail}). Nothing of the batch was written, offsets included.", ex);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DeadlockDetected)
        {
            // Two writers inserting the same keys in different orders wait on each other; PostgreSQL aborts one.
            throw new JournalConcurrencyException(
                "Another writer was appending the same persistence ids and sequence numbers at the same time (deadlock " +
                "detected); this batch was aborted. Nothing of it was written, offsets included.", ex);
        }
    }

    private async Task WriteWithInsertAsync(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets, long now, CancellationToken cancellationToken)
    {
        // Without an explicit transaction, the statements of one batch run in one implicit transaction: all or nothing.
        await using var batch = _dataSource.CreateBatch();
        if (events.Count == 1)
        {
            var e = events[0];
            batch.BatchCommands.Add(BatchCommand("insert_event",
                P(e.PersistenceId), P(e.SequenceNr), P(e.PartitionKey), P(now), P(e.Manifest), P(e.Payload)));
        }
        else if (events.Count > 1)
        {
            batch.BatchCommands.Add(InsertEventsCommand(events, now));
        }
        if (offsets.Count > 0)
        {
            batch.BatchCommands.Add(UpsertOffsetsCommand(offsets, now));
        }
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    private static NpgsqlBatchCommand InsertEventsCommand(IReadOnlyList<JournalWrite> events, long now)
    {
        var n = events.Count;
        var ids = new string[n];
        var seqs = new long[n];
        var partitions = new string[n];
        var times = new long[n];
        var manifests = new string[n];
        var payloads = new byte[n][];
        for (var i = 0; i < n; i++)
        {
            var e = events[i];
            ids[i] = e.PersistenceId;
            seqs[i] = e.SequenceNr;
            partitions[i] = e.PartitionKey;
            times[i] = now;
            manifests[i] = e.Manifest;
            payloads[i] = e.Payload;
        }
        return BatchCommand("insert_events", P(ids), P(seqs), P(partitions), P(times), P(manifests), P(payloads));
    }

    private static NpgsqlBatchCommand UpsertOffsetsCommand(IReadOnlyList<ConsumerOffset> offsets, long now)
    {
        var n = offsets.Count;
        var groups = new string[n];
        var topics = new string[n];
        var partitions = new int[n];
        var values = new long[n];
        var times = new long[n];
        for (var i = 0; i < n; i++)
        {
            groups[i] = offsets[i].GroupId;
            topics[i] = offsets[i].Topic;
            partitions[i] = offsets[i].Partition;
            values[i] = offsets[i].Offset;
            times[i] = now;
        }
        return BatchCommand("upsert_offsets", P(groups), P(topics), P(partitions), P(values), P(times));
    }

    private async Task WriteWithCopyAsync(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets, long now, CancellationToken cancellationToken)
    {
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        await using var tx = await connection.BeginTransactionAsync(cancellationToken);
        await using (var importer = await connection.BeginBinaryImportAsync(Q["copy_events"], cancellationToken))
        {
            foreach (var e in events)
            {
                await importer.StartRowAsync(cancellationToken);
                await importer.WriteAsync(e.PersistenceId, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(e.SequenceNr, NpgsqlDbType.Bigint, cancellationToken);
                await importer.WriteAsync(e.PartitionKey, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(now, NpgsqlDbType.Bigint, cancellationToken);
                await importer.WriteAsync(e.Manifest, NpgsqlDbType.Text, cancellationToken);
                await importer.WriteAsync(e.Payload, NpgsqlDbType.Bytea, cancellationToken);
            }
            await importer.CompleteAsync(cancellationToken);
        }
        if (offsets.Count > 0)
        {
            await using var batch = new NpgsqlBatch(connection, tx);
            batch.BatchCommands.Add(UpsertOffsetsCommand(offsets, now));
            await batch.ExecuteNonQueryAsync(cancellationToken);
        }
        await tx.CommitAsync(cancellationToken);
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
        await ReadyAsync(cancellationToken);
        await using var cmd = Command("replay", P(persistenceId), P(fromSequenceNr), P(toSequenceNr), P(max));
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
        await ReadyAsync(cancellationToken);
        await using var cmd = Command("highest_sequence_nr", P(persistenceId));
        return (long)(await cmd.ExecuteScalarAsync(cancellationToken))!;
    }

    /// <inheritdoc />
    public async Task DeleteEventsToAsync(string persistenceId, long toSequenceNr, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        await ReadyAsync(cancellationToken);
        await using var batch = _dataSource.CreateBatch();
        batch.BatchCommands.Add(BatchCommand("delete_events", P(persistenceId), P(toSequenceNr)));
        batch.BatchCommands.Add(BatchCommand("flag_deleted", P(persistenceId), P(toSequenceNr)));
        await batch.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string groupId, string topic, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(groupId);
        ArgumentException.ThrowIfNullOrEmpty(topic);
        await ReadyAsync(cancellationToken);
        await using var cmd = Command("read_offsets", P(groupId), P(topic));
        await using var reader = await cmd.ExecuteReaderAsync(cancellationToken);
        var result = new Dictionary<int, long>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        return result;
    }
}
