using System.Data.Common;
using System.Globalization;
using Akka.Configuration;
using Npgsql;
using NpgsqlTypes;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// The reads of a recovery, for many persistence ids in one statement each, on the tables Akka.Persistence.Sql writes
/// (its <c>default</c> table mapping, on PostgreSQL): highest sequence numbers, events, newest snapshots.
/// Every value is a parameter; table and column names come from the plugin's configuration and are quoted.
/// </summary>
public sealed class RecoveryQueries : IAsyncDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly string _highestSql;
    private readonly string _eventsSelect;
    private readonly string _snapshotsSelect;
    private readonly string _journalPid;
    private readonly string _journalSeq;
    private readonly string _snapshotPid;
    private readonly string _journalDeleted;

    private RecoveryQueries(string connectionString, string journalTable, JournalColumns j, string snapshotTable, SnapshotColumns s)
    {
        _dataSource = NpgsqlDataSource.Create(connectionString);
        _journalPid = Quote(j.PersistenceId);
        _journalSeq = Quote(j.SequenceNr);
        _snapshotPid = Quote(s.PersistenceId);
        _journalDeleted = Quote(j.Deleted);
        var writer = j.WriterUuid is { } w ? Quote(w) : "NULL";
        _highestSql = $"SELECT {_journalPid}, MAX({_journalSeq}) FROM {Quote(journalTable)} WHERE {_journalPid} {{0}} GROUP BY {_journalPid}";
        _eventsSelect = $"SELECT {_journalPid}, {_journalSeq}, {Quote(j.Deleted)}, {Quote(j.Message)}, {Quote(j.Manifest)}, {Quote(j.SerializerId)}, {writer}, {Quote(j.Created)} " +
            $"FROM {Quote(journalTable)} ";
        _snapshotsSelect = $"SELECT {_snapshotPid}, {Quote(s.SequenceNr)}, {Quote(s.Created)}, {Quote(s.Snapshot)}, {Quote(s.Manifest)}, {Quote(s.SerializerId)} " +
            $"FROM {Quote(snapshotTable)} WHERE {_snapshotPid} {{0}}";
    }

    /// <summary>
    /// The queries for the journal and snapshot store configured by <paramref name="journal"/> (a journal plugin's
    /// section) or <paramref name="snapshot"/> (a snapshot plugin's section), whichever is given; null when the plugin's
    /// database or table mapping is not one these queries know (then the plugin reads one persistence id at a time).
    /// </summary>
    public static RecoveryQueries? For(Config? journal, Config? snapshot)
    {
        var plugin = journal ?? snapshot ?? throw new ArgumentException("A journal or snapshot plugin section is needed.", nameof(journal));
        var provider = plugin.GetString("provider-name", "") ?? "";
        var connection = plugin.GetString("connection-string", "") ?? "";
        var mapping = plugin.GetString("table-mapping", "default");
        // Only PostgreSQL: on SQLite (one writer, readers on their own connections block its commits) extra reading
        // connections contend for the file's lock, and recovery there reads one entity at a time as the plugin does.
        if (!provider.StartsWith("PostgreSQL", StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }
        if (connection.Length == 0 || !string.Equals(mapping, "default", StringComparison.Ordinal))
        {
            return null;
        }
        var defaults = plugin.GetConfig("default");
        var schema = defaults?.GetString("schema-name", null);
        if (!string.IsNullOrEmpty(schema) && !string.Equals(schema, "null", StringComparison.Ordinal))
        {
            return null;
        }
        var journalTable = "journal";
        var j = JournalColumns.Default;
        var snapshotTable = "snapshot";
        var s = SnapshotColumns.Default;
        if (journal is not null)
        {
            journalTable = journal.GetString("default.journal.table-name", journalTable);
            var c = journal.GetConfig("default.journal.columns");
            if (c is not null)
            {
                j = new JournalColumns(
                    c.GetString("persistence-id", j.PersistenceId), c.GetString("sequence-number", j.SequenceNr), c.GetString("deleted", j.Deleted),
                    c.GetString("message", j.Message), c.GetString("manifest", j.Manifest), c.GetString("identifier", j.SerializerId),
                    journal.GetBoolean("default.journal.use-writer-uuid-column", true) ? c.GetString("writer-uuid", j.WriterUuid) : null,
                    c.GetString("created", j.Created));
            }
        }
        if (snapshot is not null)
        {
            snapshotTable = snapshot.GetString("default.snapshot.table-name", snapshotTable);
            var c = snapshot.GetConfig("default.snapshot.columns");
            if (c is not null)
            {
                s = new SnapshotColumns(
                    c.GetString("persistence-id", s.PersistenceId), c.GetString("sequence-number", s.SequenceNr), c.GetString("created", s.Created),
                    c.GetString("snapshot", s.Snapshot), c.GetString("manifest", s.Manifest), c.GetString("serializerId", s.SerializerId));
            }
        }
        return new RecoveryQueries(connection, journalTable, j, snapshotTable, s);
    }

    /// <summary>Answers each request with the highest sequence number of its persistence id (0 when it has no rows).</summary>
    public async Task HighestAsync(IReadOnlyList<HighestSequenceNrRequest> requests, CancellationToken ct)
    {
        var ids = requests.Select(r => r.PersistenceId).Distinct(StringComparer.Ordinal).ToList();
        var highest = new Dictionary<string, long>(ids.Count, StringComparer.Ordinal);
        await using (var connection = await OpenAsync(ct).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = string.Format(CultureInfo.InvariantCulture, _highestSql, InList(command, ids));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                highest[reader.GetString(0)] = reader.IsDBNull(1) ? 0 : reader.GetInt64(1);
            }
        }
        foreach (var r in requests)
        {
            r.Complete(highest.GetValueOrDefault(r.PersistenceId));
        }
    }

    /// <summary>Answers each request with its persistence id's events (not deleted) in its range, in order, at most its max.</summary>
    public async Task EventsAsync(IReadOnlyList<EventsRequest> requests, CancellationToken ct)
    {
        // One range per persistence id: the widest any request of the batch asks for; each request takes its own part.
        var ranges = new Dictionary<string, (long From, long To)>(StringComparer.Ordinal);
        foreach (var r in requests)
        {
            ranges[r.PersistenceId] = ranges.TryGetValue(r.PersistenceId, out var range)
                ? (Math.Min(range.From, r.From), Math.Max(range.To, r.To))
                : (r.From, r.To);
        }
        var rows = new Dictionary<string, List<JournalRecord>>(ranges.Count, StringComparer.Ordinal);
        await using (var connection = await OpenAsync(ct).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = _eventsSelect + RangeFilter(command, ranges) + $" ORDER BY {_journalPid}, {_journalSeq}";
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var row = new JournalRecord(
                    reader.GetString(0),
                    reader.GetInt64(1),
                    reader.GetBoolean(2),
                    (byte[])reader.GetValue(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetInt32(5),
                    reader.IsDBNull(6) ? null : reader.GetString(6),
                    reader.GetInt64(7));
                if (!rows.TryGetValue(row.PersistenceId, out var list))
                {
                    rows[row.PersistenceId] = list = [];
                }
                list.Add(row);
            }
        }
        foreach (var r in requests)
        {
            IReadOnlyList<JournalRecord> answer = rows.TryGetValue(r.PersistenceId, out var list)
                ? [.. list.Where(e => e.SequenceNr >= r.From && e.SequenceNr <= r.To).Take((int)Math.Min(r.Max, int.MaxValue))]
                : [];
            r.Complete(answer);
        }
    }

    /// <summary>Answers each request with the newest snapshot of its persistence id, or null.</summary>
    public async Task LatestSnapshotsAsync(IReadOnlyList<LatestSnapshotRequest> requests, CancellationToken ct)
    {
        var ids = requests.Select(r => r.PersistenceId).Distinct(StringComparer.Ordinal).ToList();
        var newest = new Dictionary<string, SnapshotRecord>(ids.Count, StringComparer.Ordinal);
        await using (var connection = await OpenAsync(ct).ConfigureAwait(false))
        await using (var command = connection.CreateCommand())
        {
            command.CommandText = string.Format(CultureInfo.InvariantCulture, _snapshotsSelect, InList(command, ids));
            await using var reader = await command.ExecuteReaderAsync(ct).ConfigureAwait(false);
            while (await reader.ReadAsync(ct).ConfigureAwait(false))
            {
                var row = new SnapshotRecord(
                    reader.GetString(0),
                    reader.GetInt64(1),
                    reader.GetInt64(2),
                    reader.IsDBNull(3) ? [] : (byte[])reader.GetValue(3),
                    reader.IsDBNull(4) ? null : reader.GetString(4),
                    reader.IsDBNull(5) ? null : reader.GetInt32(5));
                if (!newest.TryGetValue(row.PersistenceId, out var known) || known.SequenceNr < row.SequenceNr)
                {
                    newest[row.PersistenceId] = row;
                }
            }
        }
        foreach (var r in requests)
        {
            r.Complete(newest.GetValueOrDefault(r.PersistenceId));
        }
    }

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();

    private async Task<DbConnection> OpenAsync(CancellationToken ct) => await _dataSource.OpenConnectionAsync(ct).ConfigureAwait(false);

    /// <summary><c>= ANY(@ids)</c>, with the parameter added.</summary>
    private static string InList(DbCommand command, IReadOnlyList<string> ids)
    {
        ((NpgsqlCommand)command).Parameters.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ids.ToArray() });
        return "= ANY(@ids)";
    }

    /// <summary>The join and WHERE clause of the events read: not deleted, and within the range of its persistence id.</summary>
    private string RangeFilter(DbCommand command, Dictionary<string, (long From, long To)> ranges)
    {
        var p = ((NpgsqlCommand)command).Parameters;
        p.Add(new NpgsqlParameter("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { Value = ranges.Keys.ToArray() });
        p.Add(new NpgsqlParameter("froms", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ranges.Values.Select(r => r.From).ToArray() });
        p.Add(new NpgsqlParameter("tos", NpgsqlDbType.Array | NpgsqlDbType.Bigint) { Value = ranges.Values.Select(r => r.To).ToArray() });
        return $"JOIN unnest(@ids, @froms, @tos) AS wanted(pid, lo, hi) ON {_journalPid} = wanted.pid AND {_journalSeq} BETWEEN wanted.lo AND wanted.hi " +
            $"WHERE {_journalDeleted} = false";
    }

    private static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private sealed record JournalColumns(
        string PersistenceId, string SequenceNr, string Deleted, string Message, string Manifest, string SerializerId, string? WriterUuid, string Created)
    {
        public static JournalColumns Default { get; } =
            new("persistence_id", "sequence_number", "deleted", "message", "manifest", "identifier", "writer_uuid", "created");
    }

    private sealed record SnapshotColumns(string PersistenceId, string SequenceNr, string Created, string Snapshot, string Manifest, string SerializerId)
    {
        public static SnapshotColumns Default { get; } = new("persistence_id", "sequence_number", "created", "snapshot", "manifest", "serializer_id");
    }
}
