using System.Data;
using System.Runtime.CompilerServices;
using Npgsql;

namespace Alerting.Persistence.Postgres;

public sealed partial class PostgresEventStore
{
    /// <inheritdoc />
    public async IAsyncEnumerable<RecoveredEntity> RecoverPartitionAsync(string partitionKey,
        [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(partitionKey);
        await ReadyAsync(cancellationToken);
        await using var connection = await _dataSource.OpenConnectionAsync(cancellationToken);
        // Both queries see one snapshot of the data (repeatable read).
        await using var tx = await connection.BeginTransactionAsync(IsolationLevel.RepeatableRead, cancellationToken);
        var snapshots = new Dictionary<string, SelectedSnapshot>(StringComparer.Ordinal);
        await using (var batch = new NpgsqlBatch(connection, tx))
        {
            // The partition index yields the events already ordered by (persistence id, sequence number); keep the
            // planner from choosing a full sort instead, which spills to disk for large partitions.
            batch.BatchCommands.Add(new NpgsqlBatchCommand(Q["recover_plan"]));
            batch.BatchCommands.Add(BatchCommand("recover_snapshots", P(partitionKey)));
            await using var snapshotReader = await batch.ExecuteReaderAsync(cancellationToken);
            while (await snapshotReader.ReadAsync(cancellationToken))
            {
                var id = snapshotReader.GetString(0);
                var metadata = new SnapshotMetadata(id, snapshotReader.GetInt64(1), DateTimeOffset.FromUnixTimeMilliseconds(snapshotReader.GetInt64(2)));
                snapshots[id] = new SelectedSnapshot(metadata, snapshotReader.GetString(3), snapshotReader.GetFieldValue<byte[]>(4));
            }
        }

        // Second query: events after each snapshot; without snapshots, all events of the partition (no join).
        await using var events = new NpgsqlCommand(Q[snapshots.Count > 0 ? "recover_events" : "recover_all_events"], connection, tx);
        events.Parameters.Add(P(partitionKey));
        await using var reader = await events.ExecuteReaderAsync(cancellationToken);

        var assembler = new RecoveryAssembler(snapshots);
        var ids = new StringReuse();
        var manifests = new StringReuse();
        while (await reader.ReadAsync(cancellationToken))
        {
            var e = new PersistentEvent(ids.Read(reader, 0), reader.GetInt64(1), manifests.Read(reader, 3), reader.GetFieldValue<byte[]>(4),
                DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(2)));
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
