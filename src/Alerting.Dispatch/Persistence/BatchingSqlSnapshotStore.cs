using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Snapshot;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// Akka.Persistence.Sql's snapshot store, with the newest-snapshot reads of recovering entities batched: many entities'
/// snapshots are read by one statement (<see cref="RecoveryQueries"/>). Other selections, saves and deletions are the
/// plugin's own. Plugin class of <c>akka.persistence.snapshot-store.sql</c> (this assembly's <c>reference.conf</c>);
/// without batching (see <see cref="BatchingSqlWriteJournal"/>) it reads one snapshot at a time, as the plugin does.
/// </summary>
public sealed class BatchingSqlSnapshotStore : SqlSnapshotStore
{
    private readonly RecoveryQueries? _queries;
    private readonly RecoveryBatcher<LatestSnapshotRequest>? _latest;
    private readonly ILoggingAdapter _log;
    private readonly Akka.Actor.ActorSystem _system;

    /// <summary>Created by Akka.Persistence with the plugin's section.</summary>
    public BatchingSqlSnapshotStore(Config snapshotConfig)
        : base(snapshotConfig)
    {
        ArgumentNullException.ThrowIfNull(snapshotConfig);
        _log = Context.GetLogger();
        _system = Context.System;
        var config = snapshotConfig.WithFallback(SqlPersistence.DefaultSnapshotConfiguration);
        var batch = RecoveryBatchSettings.Create(config);
        _queries = batch.MaxSize > 0 ? RecoveryQueries.For(null, config) : null;
        if (_queries is not null)
        {
            _latest = new RecoveryBatcher<LatestSnapshotRequest>(_queries.LatestSnapshotsAsync, batch.MaxSize, batch.MaxInFlight);
        }
    }

    /// <inheritdoc />
    protected override async Task<SelectedSnapshot?> LoadAsync(string persistenceId, SnapshotSelectionCriteria criteria, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(criteria);
        var latest = criteria.MaxSequenceNr == long.MaxValue && criteria.MaxTimeStamp == DateTime.MaxValue
            && criteria.MinSequenceNr == 0 && (criteria.MinTimestamp is null || criteria.MinTimestamp == DateTime.MinValue);
        if (_latest is null || !latest)
        {
            return await base.LoadAsync(persistenceId, criteria, cancellationToken).ConfigureAwait(false);
        }
        var request = new LatestSnapshotRequest(persistenceId);
        _latest.Enqueue(request);
        return await request.Answer.WaitAsync(cancellationToken).ConfigureAwait(false) is { } row ? ToSelected(row) : null;
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        base.PostStop();
        BatchingSqlWriteJournal.Release(_log, _latest, null, _queries);
    }

    /// <summary>The snapshot of <paramref name="row"/>, deserialized as the plugin does.</summary>
    private SelectedSnapshot ToSelected(SnapshotRecord row)
    {
        var system = _system;
        var serialization = system.Serialization;
        var snapshot = row.SerializerId is { } id
            ? serialization.Deserialize(row.Payload, id, row.Manifest ?? "")
            : Akka.Serialization.Serialization.WithTransport((Akka.Actor.ExtendedActorSystem)system, (serialization, row), static s =>
            {
                var type = Type.GetType(s.row.Manifest ?? "", throwOnError: true)!;
                return s.serialization.FindSerializerForType(type).FromBinary(s.row.Payload, type);
            });
        return new SelectedSnapshot(new SnapshotMetadata(row.PersistenceId, row.SequenceNr, new DateTime(row.Created)), snapshot);
    }
}
