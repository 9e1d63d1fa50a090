using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Entity;

/// <summary>
/// The state machine of one device: what is held, what is open, what waits in the outbox. Pure: no I/O, no clock
/// (the caller passes <c>now</c>). <see cref="Decide"/> turns a command into events without changing anything;
/// <see cref="Apply"/> changes the state by one event, the same way when the event is new and when it is replayed.
/// <para>Rules, per device:</para>
/// <list type="bullet">
/// <item>A generate whose id was seen (held, open, or among the last <see cref="FinishedCapacity"/> finished) is a repeat: ignored.</item>
/// <item>A generate whose type is open, or that is covered by an open alert of higher priority, is dropped. It is
/// checked when it arrives and again when its delay ends. A higher-priority alert that covers open ones is sent; the
/// lower ones stay open.</item>
/// <item>Otherwise it is held for its delay (the message's, else the default); a delay of zero sends it at once.</item>
/// <item>A revoke of a held alert cancels both; of an open one (dispatched, work order not closed) it is sent; otherwise ignored.</item>
/// <item>A closed work order ends the alert's open state; an opened one is recorded.</item>
/// <item>Dispatch and revoke messages enter the outbox and leave it when Kafka acknowledges them.</item>
/// </list>
/// </summary>
public sealed class DeviceEntityState
{
    /// <summary>
    /// How many finished alert ids (dropped, cancelled, revoked, closed) are remembered to recognise repeats, unless
    /// the constructor is given another limit.
    /// </summary>
    public const int FinishedCapacity = 16;

    private readonly Dictionary<string, PendingAlert> _pending = new(StringComparer.Ordinal);
    private readonly Dictionary<string, OpenAlert> _open = new(StringComparer.Ordinal);
    private readonly List<DispatchMessage> _outbox = [];
    private readonly Queue<string> _finishedOrder = new();
    private readonly HashSet<string> _finished = new(StringComparer.Ordinal);

    /// <summary>An empty device that remembers the last <see cref="FinishedCapacity"/> finished alert ids.</summary>
    public DeviceEntityState(string deviceId)
        : this(deviceId, FinishedCapacity)
    {
    }

    /// <summary>An empty device that remembers the last <paramref name="finishedLimit"/> finished alert ids.</summary>
    public DeviceEntityState(string deviceId, int finishedLimit)
    {
        ArgumentException.ThrowIfNullOrEmpty(deviceId);
        ArgumentOutOfRangeException.ThrowIfLessThan(finishedLimit, 1);
        DeviceId = deviceId;
        FinishedLimit = finishedLimit;
    }

    /// <summary>How many finished alert ids this state remembers (the oldest is forgotten first).</summary>
    public int FinishedLimit { get; }

    /// <summary>The device this state belongs to.</summary>
    public string DeviceId { get; }

    /// <summary>Alerts being held, by alert id.</summary>
    public IReadOnlyDictionary<string, PendingAlert> Pending => _pending;

    /// <summary>Dispatched alerts whose work order is not closed, by alert id.</summary>
    public IReadOnlyDictionary<string, OpenAlert> Open => _open;

    /// <summary>Messages persisted for sending and not yet acknowledged by Kafka, in the order they were decided.</summary>
    public IReadOnlyList<DispatchMessage> Outbox => _outbox;

    /// <summary>The earliest due time of a held alert, or null when nothing is held.</summary>
    public DateTimeOffset? NextDueAt
    {
        get
        {
            DateTimeOffset? next = null;
            foreach (var p in _pending.Values)
            {
                if (next is null || p.DueAt < next)
                {
                    next = p.DueAt;
                }
            }
            return next;
        }
    }

    /// <summary>Whether the entity holds nothing that needs it in memory (no held alert, empty outbox).</summary>
    public bool IsQuiet => _pending.Count == 0 && _outbox.Count == 0;

    /// <summary>The state rebuilt from a snapshot.</summary>
    public static DeviceEntityState FromSnapshot(DeviceSnapshot snapshot) => FromSnapshot(snapshot, FinishedCapacity);

    /// <summary>
    /// The state rebuilt from a snapshot, remembering at most <paramref name="finishedLimit"/> finished ids (the
    /// newest of the snapshot's when it holds more).
    /// </summary>
    public static DeviceEntityState FromSnapshot(DeviceSnapshot snapshot, int finishedLimit)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var state = new DeviceEntityState(snapshot.DeviceId, finishedLimit);
        foreach (var p in snapshot.Pending)
        {
            state._pending[p.Alert.AlertId] = p;
        }
        foreach (var o in snapshot.Open)
        {
            state._open[o.Alert.AlertId] = o;
        }
        state._outbox.AddRange(snapshot.Outbox);
        foreach (var id in snapshot.Finished)
        {
            state.Finish(id);
        }
        return state;
    }

    /// <summary>The whole state, for a snapshot (deterministic order).</summary>
    public DeviceSnapshot ToSnapshot() => new(
        DeviceId,
        [.. _pending.Values.OrderBy(p => p.DueAt).ThenBy(p => p.Alert.AlertId, StringComparer.Ordinal)],
        [.. _open.Values.OrderBy(o => o.Alert.AlertId, StringComparer.Ordinal)],
        [.. _outbox],
        [.. _finishedOrder]);

    /// <summary>
    /// The events <paramref name="command"/> causes at <paramref name="now"/>, without changing the state.
    /// <paramref name="defaultDelay"/> holds generates whose message carries no delay.
    /// </summary>
    public Decision Decide(IDeviceCommand command, DateTimeOffset now, TimeSpan defaultDelay)
    {
        ArgumentNullException.ThrowIfNull(command);
        return command switch
        {
            AlertCommand { Message.Kind: AlertKind.Generate or AlertKind.Timeout } c => DecideGenerate(c.Message, now, defaultDelay),
            AlertCommand c => DecideRevoke(c.Message.AlertId, now),
            WorkOrderCommand c => DecideWorkOrder(c),
            DelayElapsed => DecideDue(now),
            OutboxAcknowledged c => DecideAcknowledged(c),
            _ => throw new ArgumentException($"Unknown command {command.GetType().Name}.", nameof(command)),
        };
    }

    /// <summary>Decides <paramref name="command"/> and applies its events; returns the decision.</summary>
    public Decision Handle(IDeviceCommand command, DateTimeOffset now, TimeSpan defaultDelay)
    {
        var decision = Decide(command, now, defaultDelay);
        foreach (var e in decision.Events)
        {
            Apply(e);
        }
        return decision;
    }

    /// <summary>Changes the state by one event (new or replayed).</summary>
    public void Apply(IDeviceEvent e)
    {
        ArgumentNullException.ThrowIfNull(e);
        switch (e)
        {
            case AlertHeld h:
                _pending[h.Alert.AlertId] = new PendingAlert(h.Alert, h.DueAt);
                break;
            case AlertDispatched d:
                _pending.Remove(d.Alert.AlertId);
                _open[d.Alert.AlertId] = new OpenAlert(d.Alert, d.DispatchId, WorkOrderOpened: false);
                _outbox.Add(new DispatchMessage(d.DispatchId, DispatchKind.Dispatch, d.Alert.AlertId, d.Alert.AlertType, DeviceId,
                    d.Alert.Priority, d.Alert.Info, d.Time));
                break;
            case AlertDropped d:
                _pending.Remove(d.AlertId);
                Finish(d.AlertId);
                break;
            case AlertCancelled c:
                _pending.Remove(c.AlertId);
                Finish(c.AlertId);
                break;
            case AlertRevoked r:
                if (_open.Remove(r.AlertId, out var revoked))
                {
                    _outbox.Add(new DispatchMessage(r.DispatchId, DispatchKind.Revoke, r.AlertId, revoked.Alert.AlertType, DeviceId,
                        revoked.Alert.Priority, revoked.Alert.Info, r.Time));
                }
                Finish(r.AlertId);
                break;
            case WorkOrderOpened o:
                if (_open.TryGetValue(o.AlertId, out var open))
                {
                    _open[o.AlertId] = open with { WorkOrderOpened = true };
                }
                break;
            case WorkOrderClosed c:
                _open.Remove(c.AlertId);
                Finish(c.AlertId);
                break;
            case OutboxDelivered d:
                var ids = d.DispatchIds.ToHashSet(StringComparer.Ordinal);
                _outbox.RemoveAll(m => ids.Contains(m.DispatchId));
                break;
            default:
                throw new ArgumentException($"Unknown event {e.GetType().Name}.", nameof(e));
        }
    }

    private Decision DecideGenerate(AlertMessage message, DateTimeOffset now, TimeSpan defaultDelay)
    {
        var id = message.AlertId;
        if (_pending.ContainsKey(id) || _open.ContainsKey(id) || _finished.Contains(id))
        {
            return Decision.Ignore(DropReason.Duplicate);
        }
        var alert = AlertRecord.From(message);
        if (Blocker(alert) is { } reason)
        {
            return Decision.Of(new AlertDropped(id, reason));
        }
        var delay = message.DelayMs is { } ms ? TimeSpan.FromMilliseconds(Math.Max(0, ms)) : defaultDelay;
        return delay <= TimeSpan.Zero
            ? Decision.Of(new AlertDispatched(alert, DispatchIds.For(DispatchKind.Dispatch, DeviceId, id), now))
            : Decision.Of(new AlertHeld(alert, now + delay));
    }

    private Decision DecideRevoke(string alertId, DateTimeOffset now)
    {
        if (_pending.ContainsKey(alertId))
        {
            return Decision.Of(new AlertCancelled(alertId));
        }
        if (_open.ContainsKey(alertId))
        {
            return Decision.Of(new AlertRevoked(alertId, DispatchIds.For(DispatchKind.Revoke, DeviceId, alertId), now));
        }
        return Decision.Ignore(DropReason.RevokeNotOpen);
    }

    private Decision DecideWorkOrder(WorkOrderCommand command)
    {
        if (!_open.TryGetValue(command.AlertId, out var open))
        {
            return Decision.Ignore(DropReason.StaleWorkOrder);
        }
        return command.Status switch
        {
            WorkOrderStatus.Closed => Decision.Of(new WorkOrderClosed(command.AlertId)),
            _ when open.WorkOrderOpened => Decision.Ignore(DropReason.StaleWorkOrder),
            _ => Decision.Of(new WorkOrderOpened(command.AlertId)),
        };
    }

    /// <summary>Every held alert due at <paramref name="now"/>, earliest first; each is judged against the ones sent before it.</summary>
    private Decision DecideDue(DateTimeOffset now)
    {
        var due = _pending.Values
            .Where(p => p.DueAt <= now)
            .OrderBy(p => p.DueAt)
            .ThenBy(p => p.Alert.AlertId, StringComparer.Ordinal)
            .ToList();
        if (due.Count == 0)
        {
            return Decision.None;
        }
        var events = new List<IDeviceEvent>(due.Count);
        var sent = new List<AlertRecord>();
        foreach (var p in due)
        {
            var reason = Blocker(p.Alert)
                ?? (sent.Any(s => string.Equals(s.AlertType, p.Alert.AlertType, StringComparison.Ordinal)) ? DropReason.AlreadyOpen
                    : sent.Any(s => s.Covers(p.Alert)) ? DropReason.Covered : null);
            if (reason is { } r)
            {
                events.Add(new AlertDropped(p.Alert.AlertId, r));
            }
            else
            {
                events.Add(new AlertDispatched(p.Alert, DispatchIds.For(DispatchKind.Dispatch, DeviceId, p.Alert.AlertId), now));
                sent.Add(p.Alert);
            }
        }
        return new Decision(events, null);
    }

    private Decision DecideAcknowledged(OutboxAcknowledged command)
    {
        var present = command.DispatchIds
            .Where(id => _outbox.Exists(m => string.Equals(m.DispatchId, id, StringComparison.Ordinal)))
            .Distinct(StringComparer.Ordinal)
            .ToList();
        return present.Count == 0 ? Decision.None : Decision.Of(new OutboxDelivered(present));
    }

    /// <summary>Why an open alert stops <paramref name="alert"/> from being sent, or null.</summary>
    private DropReason? Blocker(AlertRecord alert)
    {
        foreach (var open in _open.Values)
        {
            if (string.Equals(open.Alert.AlertType, alert.AlertType, StringComparison.Ordinal))
            {
                return DropReason.AlreadyOpen;
            }
        }
        foreach (var open in _open.Values)
        {
            if (open.Alert.Covers(alert))
            {
                return DropReason.Covered;
            }
        }
        return null;
    }

    private void Finish(string alertId)
    {
        if (!_finished.Add(alertId))
        {
            return;
        }
        _finishedOrder.Enqueue(alertId);
        if (_finishedOrder.Count > FinishedLimit)
        {
            _finished.Remove(_finishedOrder.Dequeue());
        }
    }
}
