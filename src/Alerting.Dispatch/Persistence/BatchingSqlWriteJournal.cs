using System.Collections.Concurrent;
using System.Collections.Immutable;
using Akka.Actor;
using Akka.Configuration;
using Akka.Event;
using Akka.Persistence;
using Akka.Persistence.Sql;
using Akka.Persistence.Sql.Journal;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// Akka.Persistence.Sql's journal, with the reads of recovery batched: the highest sequence number and the events of
/// many recovering entities are read by one statement each (<see cref="RecoveryQueries"/>, <see cref="RecoveryBatcher{TRequest}"/>)
/// instead of one linq2db query per entity. Writes, deletions and everything else are the plugin's own. Plugin class of
/// <c>akka.persistence.journal.sql</c> (this assembly's <c>reference.conf</c>); <c>recovery-batch.max-size = 0</c>, a
/// provider other than PostgreSQL, or another table mapping reads one entity at a time, as the plugin does.
/// <para>The highest sequence number of an entity with a write in flight is read once that write ended (as the plugin
/// does). A failed read fails the recoveries of its batch (each entity logs it and stops; it recovers on its next message).</para>
/// </summary>
public sealed class BatchingSqlWriteJournal : SqlWriteJournal
{
    private readonly ConcurrentDictionary<string, Task> _writing = new(StringComparer.Ordinal);
    private readonly RecoveryQueries? _queries;
    private readonly RecoveryBatcher<HighestSequenceNrRequest>? _highest;
    private readonly RecoveryBatcher<EventsRequest>? _events;
    private readonly ILoggingAdapter _log;

    /// <summary>Created by Akka.Persistence with the plugin's section.</summary>
    public BatchingSqlWriteJournal(Config journalConfig)
        : base(journalConfig)
    {
        ArgumentNullException.ThrowIfNull(journalConfig);
        _log = Context.GetLogger();
        var config = journalConfig.WithFallback(SqlPersistence.DefaultJournalConfiguration);
        var batch = RecoveryBatchSettings.Create(config);
        _queries = batch.MaxSize > 0 ? RecoveryQueries.For(config, null) : null;
        if (_queries is not null)
        {
            var size = batch.MaxSize;
            _highest = new RecoveryBatcher<HighestSequenceNrRequest>(_queries.HighestAsync, size, batch.MaxInFlight);
            _events = new RecoveryBatcher<EventsRequest>(_queries.EventsAsync, size, batch.MaxInFlight);
        }
    }

    /// <inheritdoc />
    public override async Task ReplayMessagesAsync(
        IActorContext context, string persistenceId, long fromSequenceNr, long toSequenceNr, long max, Action<IPersistentRepresentation> recoveryCallback)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(recoveryCallback);
        if (_events is null || max <= 0)
        {
            await base.ReplayMessagesAsync(context, persistenceId, fromSequenceNr, toSequenceNr, max, recoveryCallback).ConfigureAwait(false);
            return;
        }
        var request = new EventsRequest(persistenceId, fromSequenceNr, toSequenceNr, max);
        _events.Enqueue(request);
        var rows = await request.Answer.ConfigureAwait(false);
        var system = context.System;
        foreach (var row in rows)
        {
            recoveryCallback(ToPersistent(system, row));
        }
    }

    /// <inheritdoc />
    public override async Task<long> ReadHighestSequenceNrAsync(string persistenceId, long fromSequenceNr, CancellationToken cancellationToken)
    {
        if (_highest is null)
        {
            return await base.ReadHighestSequenceNrAsync(persistenceId, fromSequenceNr, cancellationToken).ConfigureAwait(false);
        }
        if (_writing.TryGetValue(persistenceId, out var write))
        {
            // Whether it succeeded or not: the highest sequence number is read once it ended.
            await write.ContinueWith(static _ => { }, cancellationToken, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        var request = new HighestSequenceNrRequest(persistenceId);
        _highest.Enqueue(request);
        // The highest of all rows: never below what the plugin's read from fromSequenceNr returns when there is one.
        return await request.Answer.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    protected override Task<IImmutableList<Exception>> WriteMessagesAsync(IEnumerable<AtomicWrite> messages, CancellationToken cancellationToken)
    {
        var writes = messages as IReadOnlyCollection<AtomicWrite> ?? [.. messages];
        var future = base.WriteMessagesAsync(writes, cancellationToken);
        if (_highest is not null)
        {
            foreach (var id in writes.Select(w => w.PersistenceId).Distinct(StringComparer.Ordinal))
            {
                _writing[id] = future;
                future.ContinueWith(
                    (_, state) => _writing.TryRemove(new KeyValuePair<string, Task>((string)state!, future)),
                    id, CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
            }
        }
        return future;
    }

    /// <inheritdoc />
    protected override void PostStop()
    {
        base.PostStop();
        Release(_log, _highest, _events, _queries);
    }

    /// <summary>The event of <paramref name="row"/>, deserialized as the plugin does.</summary>
    private static Persistent ToPersistent(ActorSystem system, JournalRecord row)
    {
        var serialization = system.Serialization;
        var payload = row.SerializerId is { } id
            ? serialization.Deserialize(row.Message, id, row.Manifest ?? "")
            : Akka.Serialization.Serialization.WithTransport((Akka.Actor.ExtendedActorSystem)system, (serialization, row), static s =>
            {
                var type = Type.GetType(s.row.Manifest ?? "", throwOnError: true)!;
                return s.serialization.FindSerializerForType(type).FromBinary(s.row.Message, type);
            });
        return new Persistent(payload, row.SequenceNr, row.PersistenceId, row.Manifest ?? "", row.Deleted, ActorRefs.NoSender, row.WriterUuid, row.Created);
    }

    /// <summary>Stops the batchers and closes the connections in the background; a failure is logged.</summary>
    internal static void Release(ILoggingAdapter log, IAsyncDisposable? first, IAsyncDisposable? second, IAsyncDisposable? queries)
    {
        if (queries is null)
        {
            return;
        }
        _ = Task.Run(async () =>
        {
            try
            {
                if (first is not null)
                {
                    await first.DisposeAsync().ConfigureAwait(false);
                }
                if (second is not null)
                {
                    await second.DisposeAsync().ConfigureAwait(false);
                }
                await queries.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                log.Warning(ex, "Closing the recovery reads of the journal or snapshot store failed");
            }
        });
    }
}
