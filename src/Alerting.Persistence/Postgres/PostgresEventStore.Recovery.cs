using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Akka.Alerting.Persistence.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<RecoveredEntity> RecoverPartitionAsync(string partitionKey,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        await ReadyAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Both queries in one round trip and one snapshot of the data (repeatable read), read one after the other.
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        await using var batch = new NpgsqlBatch(connection, tx);
        // The partition index yields the events already ordered by (persistence id, sequence number); keep the planner
        // from choosing a full sort instead, which spills to disk for large partitions.
        batch.BatchCommands.Add(new NpgsqlBatchCommand(Q["recover_plan"]));
        batch.BatchCommands.Add(BatchCommand("recover_snapshots", P(partitionKey)));
        batch.BatchCommands.Add(BatchCommand("recover_events", P(partitionKey)));
        await using var reader = await batch.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);

        var snapshots = new Dictionary<string, SelectedSnapshot>(StringComparer.Ordinal);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            var metadata = new SnapshotMetadata(id, reader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
            snapshots[id] = new SelectedSnapshot(metadata, reader.GetString(3), reader.GetFieldValue<byte[]>(4));
        }
        await reader.NextResultAsync(cancellationToken);

        var assembler = new RecoveryAssembler(snapshots);
        string? lastId = null;
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetString(0);
            // Intern consecutive ids: one string per entity rather than per event.
            if (lastId is not null && string.Equals(lastId, id, StringComparison.Ordinal))
            {
                id = lastId;
            }
            lastId = id;
            // Sequential access: columns are read in order.
            var sequenceNr = reader.GetInt64(1);
            var writtenAt = reader.GetInt64(2);
            var manifest = reader.GetString(3);
            var e = new PersistentEvent(id, sequenceNr, manifest, reader.GetFieldValue<byte[]>(4), DateTimeOffset.FromUnixTimeMilliseconds(writtenAt));
            if (assembler.Add(e) is { } entity)
            {
                yield return entity;
            }
        }
        foreach (var entity in assembler.Finish())
        {
            yield return entity;
        }
        // Read only: the transaction is rolled back on dispose, after the reader.
    }
}
