using Akka.Actor;
using Akka.Cluster.Sharding;
using Akka.Persistence;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Hosting;
using Alerting.Dispatch.Messages;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Dispatch.Actors;

/// <summary>
/// One device's dispatcher as a persistent actor (persistence id <c>device-{deviceId}</c>): a thin shell around
/// <see cref="DeviceEntityState"/>, which decides and applies; this actor persists, times, replies and hands over.
/// <list type="bullet">
/// <item><b>Commands</b> (<see cref="AlertCommand"/>, <see cref="WorkOrderCommand"/>, <see cref="OutboxAcknowledged"/>) are
/// decided against the state; their events are persisted together, applied, and only then is the sender answered with
/// a <see cref="DeviceCommandAck"/> (a command that changes nothing is answered at once). A journal write that fails
/// (or is rejected) is logged, answered with a <see cref="DeviceCommandFailed"/>
/// (never an acknowledgement), and stops the entity: the sender keeps the command uncommitted and retries it, with
/// backoff, against the next incarnation, which recovers from the journal.</item>
/// <item><b>Delay</b>: the earliest due time of a held alert is armed as one Akka timer; each change re-arms or
/// cancels it (a revoke within the delay cancels the alert, and so the timer). When it fires, due alerts are judged
/// and dispatched or dropped (<see cref="DelayElapsed"/>).</item>
/// <item><b>Dispatch output</b>: a dispatch or revoke is persisted first (it enters the state's outbox), then handed
/// to the output actor as a <see cref="DispatchMessage"/> with its deterministic dispatch id, sent from this entity.
/// It stays in the outbox until the output answers <see cref="OutboxAcknowledged"/>. After recovery every outbox
/// message is handed again with the same id: consumers drop repeats by dispatch id (effectively once).</item>
/// <item><b>Passivation</b>: a pending delay survives. The entity stays up while a delay is armed: it asks its
/// parent (the shard) to passivate it after <see cref="DeviceEntitySettings.PassivateAfter"/> without messages only
/// when no alert is held. If it stops anyway (crash, a hand-off's <see cref="StopDeviceEntity"/>), the delay is
/// re-armed from the persisted due times as soon as it recovers, firing at once when the due time has passed.</item>
/// <item><b>Snapshots and deletion</b>: after every <see cref="DeviceEntitySettings.SnapshotEvery"/> events the whole
/// state is saved as a snapshot; once saved (and when <see cref="DeviceEntitySettings.DeleteEventsOnSnapshot"/>),
/// the events it covers and the older snapshots are deleted, so a device keeps one snapshot and the events after
/// it. Deletions run one at a time; a failed save or delete is logged and leaves the events in place until the next
/// snapshot's deletion.</item>
/// <item><b>Bounded state</b>: held and open alerts plus the last <see cref="DeviceEntitySettings.RememberFinished"/>
/// finished alert ids, enough for a replay of the commit interval to be recognised as repeats.</item>
/// </list>
/// </summary>
public sealed class DeviceEntityActor : ReceivePersistentActor, IWithTimers
{
    private const string DelayTimer = "delay";
    private const string DeleteRetryTimer = "delete-retry";

    // a failed deletion of events is tried again this many times, 1 s, 2 s, 4 s apart
    private const int DeleteRetries = 3;

    private readonly string _deviceId;
    private readonly IActorRef _output;
    private readonly DeviceEntitySettings _settings;
    private readonly ILogger _logger;
    private readonly DispatchCounters? _counters;
    private readonly HashSet<string> _handed = new(StringComparer.Ordinal);
    private DeviceEntityState _state;
    private int _sinceSnapshot;
    private long _deleteInFlight;
    private long _deleteWanted;
    private int _deleteFailures;
    private IActorRef? _replyTo;

    /// <summary>Use <see cref="Props(string, IActorRef, DeviceEntitySettings, ILogger?, DispatchCounters?)"/>.</summary>
    public DeviceEntityActor(string deviceId, IActorRef output, DeviceEntitySettings settings, ILogger logger, DispatchCounters? counters = null)
    {
        _counters = counters;
        _deviceId = deviceId;
        _output = output;
        _settings = settings;
        _logger = logger;
        _state = new DeviceEntityState(deviceId, settings.RememberFinished);
        PersistenceId = PersistenceIdOf(deviceId);

        Recover<SnapshotOffer>(offer =>
        {
            _state = offer.Snapshot is DeviceSnapshot snapshot
                ? DeviceEntityState.FromSnapshot(snapshot, _settings.RememberFinished)
                : throw new InvalidOperationException($"{PersistenceId}: snapshot of unexpected type {offer.Snapshot?.GetType().Name}.");
            _sinceSnapshot = 0;
        });
        Recover<IDeviceEvent>(e =>
        {
            _state.Apply(e);
            _sinceSnapshot++; // replayed events count towards the next snapshot too
        });
        Recover<RecoveryCompleted>(_ =>
        {
            AfterChange();
            if (_settings.PassivateAfter > TimeSpan.Zero)
            {
                Context.SetReceiveTimeout(_settings.PassivateAfter);
            }
        });

        Command<AlertCommand>(c => Handle(c, reply: true));
        Command<WorkOrderCommand>(c => Handle(c, reply: true));
        Command<OutboxAcknowledged>(c => Handle(c, reply: true));
        Command<DelayElapsed>(c => Handle(c, reply: false));
        Command<StopDeviceEntity>(_ => Context.Stop(Self));
        Command<GetDeviceState>(_ => Sender.Tell(DeviceStateReply.Of(_state)));
        Command<ReceiveTimeout>(_ =>
        {
            if (_state.Pending.Count == 0)
            {
                Context.Parent.Tell(new Passivate(StopDeviceEntity.Instance));
            }
        });
        Command<SaveSnapshotSuccess>(s =>
        {
            if (_settings.DeleteEventsOnSnapshot)
            {
                _deleteWanted = Math.Max(_deleteWanted, s.Metadata.SequenceNr);
                StartDelete();
                DeleteSnapshots(new SnapshotSelectionCriteria(s.Metadata.SequenceNr - 1));
            }
        });
        Command<SaveSnapshotFailure>(f => EntityLog.SnapshotFailed(_logger, f.Cause, PersistenceId, f.Metadata.SequenceNr));
        Command<DeleteMessagesSuccess>(s =>
        {
            _deleteInFlight = 0;
            _deleteFailures = 0;
            if (_deleteWanted <= s.ToSequenceNr)
            {
                _deleteWanted = 0;
            }
            StartDelete();
        });
        Command<DeleteMessagesFailure>(f =>
        {
            // Tried again after a pause (the journal's store may be busy for a moment), a few times; then left to the
            // next snapshot's deletion, which covers these events too. A newer snapshot's wish is never dropped.
            EntityLog.DeleteEventsFailed(_logger, f.Cause, PersistenceId, f.ToSequenceNr);
            _deleteInFlight = 0;
            if (_deleteWanted > f.ToSequenceNr || ++_deleteFailures <= DeleteRetries)
            {
                Timers.StartSingleTimer(DeleteRetryTimer, RetryDelete.Instance, TimeSpan.FromSeconds(1 << Math.Min(_deleteFailures, DeleteRetries)));
            }
            else
            {
                _deleteWanted = 0;
                _deleteFailures = 0;
            }
        });
        Command<RetryDelete>(_ => StartDelete());
        Command<DeleteSnapshotsSuccess>(_ => { });
        Command<DeleteSnapshotsFailure>(f => EntityLog.DeleteSnapshotsFailed(_logger, f.Cause, PersistenceId));
    }

    /// <inheritdoc />
    public override string PersistenceId { get; }

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <summary>The persistence id of <paramref name="deviceId"/>'s entity.</summary>
    public static string PersistenceIdOf(string deviceId) => "device-" + deviceId;

    /// <summary>
    /// Props of the entity of <paramref name="deviceId"/>, handing dispatch and revoke messages to
    /// <paramref name="output"/> (which answers <see cref="OutboxAcknowledged"/> to the sender once they are sent);
    /// <paramref name="counters"/>, when given, counts the events the entity persisted and the commands it ignored.
    /// </summary>
    public static Props Props(string deviceId, IActorRef output, DeviceEntitySettings settings, ILogger? logger = null, DispatchCounters? counters = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var log = logger ?? NullLogger.Instance;
        return Akka.Actor.Props.Create(() => new DeviceEntityActor(deviceId, output, settings, log, counters));
    }

    /// <inheritdoc />
    protected override void OnPersistFailure(Exception cause, object @event, long sequenceNr)
    {
        EntityLog.PersistFailed(_logger, cause, PersistenceId, @event.GetType().Name, sequenceNr);
        FailPendingCommand(cause, rejected: false);
        base.OnPersistFailure(cause, @event, sequenceNr);
    }

    /// <inheritdoc />
    protected override void OnPersistRejected(Exception cause, object @event, long sequenceNr)
    {
        EntityLog.PersistRejected(_logger, cause, PersistenceId, @event.GetType().Name, sequenceNr);
        FailPendingCommand(cause, rejected: true);
        Context.Stop(Self);
    }

    /// <inheritdoc />
    protected override void OnRecoveryFailure(Exception reason, object? message = null)
    {
        EntityLog.RecoveryFailed(_logger, reason, PersistenceId);
        base.OnRecoveryFailure(reason, message);
    }

    /// <summary>
    /// Answers the command whose events were being persisted with the failure, so its sender retries it (a failed
    /// write) or dead-letters it (a rejected one).
    /// </summary>
    private void FailPendingCommand(Exception cause, bool rejected)
    {
        _replyTo?.Tell(new DeviceCommandFailed(_deviceId, cause.Message, rejected));
        _replyTo = null;
    }

    private void Handle(IDeviceCommand command, bool reply)
    {
        var decision = _state.Decide(command, Context.System.Scheduler.Now, _settings.DefaultDelay);
        var sender = Sender;
        if (decision.Ignored is { } reason)
        {
            _counters?.CountIgnored(_deviceId, command, reason);
        }
        if (decision.Events.Count == 0)
        {
            if (reply)
            {
                sender.Tell(new DeviceCommandAck(_deviceId, [], decision.Ignored));
            }
            AfterChange();
            return;
        }
        var remaining = decision.Events.Count;
        var writing = System.Diagnostics.Stopwatch.GetTimestamp();
        _replyTo = reply ? sender : null;
        PersistAll(decision.Events, e =>
        {
            _state.Apply(e);
            _counters?.CountEvent(_deviceId, e);
            _sinceSnapshot++;
            if (--remaining > 0)
            {
                return;
            }
            _counters?.ObserveJournalWrite(System.Diagnostics.Stopwatch.GetElapsedTime(writing));
            _replyTo = null;
            if (reply)
            {
                sender.Tell(new DeviceCommandAck(_deviceId, decision.Events, decision.Ignored));
            }
            AfterChange();
            if (_sinceSnapshot >= _settings.SnapshotEvery)
            {
                _sinceSnapshot = 0;
                SaveSnapshot(_state.ToSnapshot());
            }
        });
    }

    /// <summary>Deletes events up to the newest saved snapshot, one deletion at a time (overlapping deletions of one
    /// persistence id can conflict in the database).</summary>
    private void StartDelete()
    {
        if (_deleteInFlight == 0 && _deleteWanted > 0)
        {
            _deleteInFlight = _deleteWanted;
            DeleteMessages(_deleteInFlight);
        }
    }

    /// <summary>Re-arms the delay timer and hands over outbox messages not handed in this incarnation.</summary>
    private void AfterChange()
    {
        if (_state.NextDueAt is { } due)
        {
            var wait = due - Context.System.Scheduler.Now;
            Timers.StartSingleTimer(DelayTimer, DelayElapsed.Instance, wait > TimeSpan.Zero ? wait : TimeSpan.Zero);
        }
        else
        {
            Timers.Cancel(DelayTimer);
        }
        if (_state.Outbox.Count == 0)
        {
            _handed.Clear();
            return;
        }
        _handed.IntersectWith(_state.Outbox.Select(m => m.DispatchId));
        foreach (var message in _state.Outbox)
        {
            if (_handed.Add(message.DispatchId))
            {
                _output.Tell(message, Self);
            }
        }
    }
}

/// <summary>The entity's own reminder to try a failed deletion of events again.</summary>
internal sealed class RetryDelete
{
    public static readonly RetryDelete Instance = new();

    private RetryDelete()
    {
    }
}
