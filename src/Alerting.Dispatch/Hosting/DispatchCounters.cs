using Alerting.Dispatch.Entity;

namespace Alerting.Dispatch.Hosting;

/// <summary>
/// What a dispatcher (<see cref="Sharding.ShardedDispatcher"/>) has done since it started, for the service's status line:
/// records received, dead-lettered and produced by its delivery and output, events persisted and commands ignored by the
/// entities of this node. Written from any thread, readable from any thread.
/// </summary>
public sealed class DispatchCounters
{
    private readonly long[] _dropped = new long[Enum.GetValues<DropReason>().Length];
    private long _received;
    private long _malformed;
    private long _redelivered;
    private long _held;
    private long _dispatched;
    private long _revoked;
    private long _cancelled;
    private long _produced;
    private long _acknowledged;
    private long _fenced;
    private long _recovered;
    private long _reloaded;
    private long _passivated;
    private long _snapshots;
    private long _batches;
    private long _journalEvents;
    private long _deadLettered;
    private long _journalWrites;
    private long _journalWriteTicks;
    private long _retried;

    /// <summary>Alert and work-order records taken for processing (not counting redeliveries).</summary>
    /// <summary>Offset resets of the dispatcher's consumer (records passed over unread, e.g. deleted by retention first).</summary>
    public Alerting.Kafka.Messages.OffsetResetCounter OffsetResets { get; } = new();

    public long Received => Volatile.Read(ref _received);

    /// <summary>Records that were not valid JSON of their topic's shape (skipped).</summary>
    public long Malformed => Volatile.Read(ref _malformed);

    /// <summary>Malformed records sent to the dead-letter topic (and acknowledged there).</summary>
    public long DeadLettered => Volatile.Read(ref _deadLettered);

    /// <summary>Records delivered again below the stored offset of their partition (skipped).</summary>
    public long Redelivered => Volatile.Read(ref _redelivered);

    /// <summary>Generates held for their delay.</summary>
    public long Held => Volatile.Read(ref _held);

    /// <summary>Alerts dispatched.</summary>
    public long Dispatched => Volatile.Read(ref _dispatched);

    /// <summary>Revokes sent.</summary>
    public long Revoked => Volatile.Read(ref _revoked);

    /// <summary>Held alerts cancelled by their revoke (nothing sent).</summary>
    public long Cancelled => Volatile.Read(ref _cancelled);

    /// <summary>Outbox messages handed to the producer (re-sends included).</summary>
    public long Produced => Volatile.Read(ref _produced);

    /// <summary>Outbox messages acknowledged by Kafka.</summary>
    public long Acknowledged => Volatile.Read(ref _acknowledged);

    /// <summary>Times this instance found itself fenced by the journal (another owner wrote first) and stopped.</summary>
    public long Fenced => Volatile.Read(ref _fenced);

    /// <summary>Entities loaded by bulk partition recovery.</summary>
    public long Recovered => Volatile.Read(ref _recovered);

    /// <summary>Passivated entities loaded again on demand.</summary>
    public long Reloaded => Volatile.Read(ref _reloaded);

    /// <summary>Entities dropped from memory after being idle.</summary>
    public long Passivated => Volatile.Read(ref _passivated);

    /// <summary>Snapshots saved.</summary>
    public long Snapshots => Volatile.Read(ref _snapshots);

    /// <summary>Poll batches written.</summary>
    public long Batches => Volatile.Read(ref _batches);

    /// <summary>Commands sent to their entity again after it failed them (journal write).</summary>
    public long Retried => Volatile.Read(ref _retried);

    /// <summary>Events written to the journal.</summary>
    public long JournalEvents => Volatile.Read(ref _journalEvents);

    /// <summary>Journal writes of the entities (one per command with events: persist until the last event's callback).</summary>
    public long JournalWrites => Volatile.Read(ref _journalWrites);

    /// <summary>The summed latency of <see cref="JournalWrites"/>.</summary>
    public TimeSpan JournalWriteTime => TimeSpan.FromTicks(Volatile.Read(ref _journalWriteTicks));

    /// <summary>
    /// Told of every event an entity of this node persisted and every command it ignored, on the entity's thread: it
    /// must not block (the web view's feed takes what it can and drops the rest). Null: nobody listens.
    /// </summary>
    public IDispatchObserver? Observer { get; set; }

    /// <summary>Generates, revokes and work-order updates not passed on, for <paramref name="reason"/>.</summary>
    public long Dropped(DropReason reason) => Volatile.Read(ref _dropped[(int)reason]);

    /// <summary>All counters by name (drops as <c>dropped.Reason</c>).</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var result = new SortedDictionary<string, long>(StringComparer.Ordinal)
        {
            ["received"] = Received,
            ["malformed"] = Malformed,
            ["dead_lettered"] = DeadLettered,
            ["redelivered"] = Redelivered,
            ["held"] = Held,
            ["dispatched"] = Dispatched,
            ["revoked"] = Revoked,
            ["cancelled"] = Cancelled,
            ["produced"] = Produced,
            ["acknowledged"] = Acknowledged,
            ["fenced"] = Fenced,
            ["recovered"] = Recovered,
            ["reloaded"] = Reloaded,
            ["passivated"] = Passivated,
            ["snapshots"] = Snapshots,
            ["batches"] = Batches,
            ["journal-events"] = JournalEvents,
            ["retried"] = Retried,
        };
        foreach (var reason in Enum.GetValues<DropReason>())
        {
            result["dropped." + reason] = Dropped(reason);
        }
        return result;
    }

    internal void CountEvent(string deviceId, IDeviceEvent e)
    {
        Observer?.Persisted(deviceId, e);
        Interlocked.Increment(ref _journalEvents);
        switch (e)
        {
            case AlertHeld:
                Interlocked.Increment(ref _held);
                break;
            case AlertDispatched:
                Interlocked.Increment(ref _dispatched);
                break;
            case AlertRevoked:
                Interlocked.Increment(ref _revoked);
                break;
            case AlertCancelled:
                Interlocked.Increment(ref _cancelled);
                break;
            case AlertDropped d:
                CountDropped(d.Reason);
                break;
        }
    }

    internal void CountDropped(DropReason reason) => Interlocked.Increment(ref _dropped[(int)reason]);

    internal void CountIgnored(string deviceId, IDeviceCommand command, DropReason reason)
    {
        CountDropped(reason);
        Observer?.Ignored(deviceId, command, reason);
    }

    internal void CountReceived() => Interlocked.Increment(ref _received);

    internal void CountMalformed() => Interlocked.Increment(ref _malformed);

    internal void CountDeadLettered() => Interlocked.Increment(ref _deadLettered);

    internal void CountRedelivered() => Interlocked.Increment(ref _redelivered);

    internal void CountProduced() => Interlocked.Increment(ref _produced);

    internal void CountAcknowledged(int n) => Interlocked.Add(ref _acknowledged, n);

    internal void CountFenced() => Interlocked.Increment(ref _fenced);

    internal void CountRecovered() => Interlocked.Increment(ref _recovered);

    internal void CountReloaded() => Interlocked.Increment(ref _reloaded);

    internal void CountPassivated() => Interlocked.Increment(ref _passivated);

    internal void CountSnapshot() => Interlocked.Increment(ref _snapshots);

    internal void CountRetried() => Interlocked.Increment(ref _retried);

    internal void CountBatch() => Interlocked.Increment(ref _batches);

    internal void ObserveJournalWrite(TimeSpan latency)
    {
        Interlocked.Add(ref _journalWriteTicks, latency.Ticks);
        Interlocked.Increment(ref _journalWrites);
    }
}

/// <summary>Sees what the device entities of a node decide (see <see cref="DispatchCounters.Observer"/>).</summary>
public interface IDispatchObserver
{
    /// <summary>The entity of <paramref name="deviceId"/> persisted <paramref name="e"/>.</summary>
    void Persisted(string deviceId, IDeviceEvent e);

    /// <summary>The entity of <paramref name="deviceId"/> ignored <paramref name="command"/> for <paramref name="reason"/>.</summary>
    void Ignored(string deviceId, IDeviceCommand command, DropReason reason);
}
