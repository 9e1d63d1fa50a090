using System.Collections.Concurrent;
using Alerting.Rules;

namespace Alerting.Service.Pipeline;

/// <summary>
/// The counters the live status line and the summary line print. Stages add to them with
/// <see cref="Interlocked"/>; readers take a consistent-enough snapshot.
/// </summary>
public sealed class PipelineCounters
{
    private long _eventsIn;
    private long _alertsOut;
    private long _revokesOut;
    private long _dispatched;
    private long _deadLetter;
    private long _late;
    private long _checkpointTicks = -1;
    private long _checkpointAt = long.MinValue;
    private readonly ConcurrentDictionary<(string Topic, int Partition), Tally> _eventsByPartition = new();
    private readonly ConcurrentDictionary<string, Tally> _deadLettersByReason = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<(string Rule, AlertKind Kind), Tally> _alertsByRule = new();

    public long EventsIn => Interlocked.Read(ref _eventsIn);
    public long AlertsOut => Interlocked.Read(ref _alertsOut);
    public long RevokesOut => Interlocked.Read(ref _revokesOut);
    public long Dispatched => Interlocked.Read(ref _dispatched);
    public long DeadLetter => Interlocked.Read(ref _deadLetter);
    public long Late => Interlocked.Read(ref _late);

    private long _bootstraps;
    private long _bootstrapEvents;
    private long _bootstrapRetentionGaps;
    private long _bootstrapHeld;
    private long _bootstrapHoldsFull;

    /// <summary>Rule bootstraps over history finished (one per rule and partition).</summary>
    public long Bootstraps => Interlocked.Read(ref _bootstraps);

    /// <summary>History records the bootstraps read.</summary>
    public long BootstrapEvents => Interlocked.Read(ref _bootstrapEvents);

    /// <summary>Source partitions whose retained log started after the history a bootstrap asked for (the rest was past retention).</summary>
    public long BootstrapRetentionGaps => Interlocked.Read(ref _bootstrapRetentionGaps);

    /// <summary>Live elements (events and watermark steps) held for bootstrapping rules and caught up over at their hand-over (per rule).</summary>
    public long BootstrapHeld => Interlocked.Read(ref _bootstrapHeld);

    /// <summary>Bootstraps whose hold filled up, so that their partition waited for the hand-over.</summary>
    public long BootstrapHoldsFull => Interlocked.Read(ref _bootstrapHoldsFull);

    /// <summary>Counts a finished bootstrap, the history records it read and the live elements its rule caught up over.</summary>
    public void CountBootstrap(long eventsRead, long heldElements = 0)
    {
        Interlocked.Increment(ref _bootstraps);
        Interlocked.Add(ref _bootstrapEvents, eventsRead);
        Interlocked.Add(ref _bootstrapHeld, heldElements);
    }

    /// <summary>Counts a bootstrap whose hold filled up.</summary>
    public void CountBootstrapHoldFull() => Interlocked.Increment(ref _bootstrapHoldsFull);

    /// <summary>Counts a source partition whose history for a bootstrap was partly past retention.</summary>
    public void CountBootstrapRetentionGap() => Interlocked.Increment(ref _bootstrapRetentionGaps);

    private long _logEndProbeFailures;

    /// <summary>Questions for source partitions' log ends (confirming idle partitions caught up) that failed or timed out.</summary>
    public long LogEndProbeFailures => Interlocked.Read(ref _logEndProbeFailures);

    /// <summary>Counts a log-end question that failed or timed out.</summary>
    public void CountLogEndProbeFailure() => Interlocked.Increment(ref _logEndProbeFailures);

    /// <summary>Offset resets of the alert consumer (records passed over unread, e.g. deleted by retention first).</summary>
    public Alerting.Kafka.Messages.OffsetResetCounter OffsetResets { get; } = new();

    public void AddEventsIn(long n) => Interlocked.Add(ref _eventsIn, n);
    public void AddAlertsOut(long n) => Interlocked.Add(ref _alertsOut, n);
    public void AddRevokesOut(long n) => Interlocked.Add(ref _revokesOut, n);
    public void AddDispatched(long n) => Interlocked.Add(ref _dispatched, n);

    /// <summary>Takes the dispatcher's own running total of dispatches sent.</summary>
    public void ObserveDispatched(long total) => Interlocked.Exchange(ref _dispatched, total);
    public void AddDeadLetter(long n) => Interlocked.Add(ref _deadLetter, n);
    public void AddLate(long n) => Interlocked.Add(ref _late, n);

    /// <summary>Counts one event taken from <paramref name="topic"/>/<paramref name="partition"/> (and the total).</summary>
    public void CountEventIn(string topic, int partition)
    {
        Interlocked.Increment(ref _eventsIn);
        _eventsByPartition.GetOrAdd((topic, partition), static _ => new Tally()).Add(1);
    }

    /// <summary>Counts one dead letter for <paramref name="reason"/> (and the total).</summary>
    public void CountDeadLetter(string reason)
    {
        Interlocked.Increment(ref _deadLetter);
        _deadLettersByReason.GetOrAdd(reason, static _ => new Tally()).Add(1);
    }

    /// <summary>Counts one alert of <paramref name="ruleId"/> (and the Generate or Revoke total; a Timeout counts as a Generate).</summary>
    public void CountAlert(string ruleId, AlertKind kind)
    {
        if (kind != AlertKind.Revoke)
        {
            Interlocked.Increment(ref _alertsOut);
        }
        else
        {
            Interlocked.Increment(ref _revokesOut);
        }

        _alertsByRule.GetOrAdd((ruleId, kind), static _ => new Tally()).Add(1);
    }

    /// <summary>Records a partition checkpoint stored at <paramref name="at"/> whose store write took <paramref name="duration"/>.</summary>
    public void ObserveCheckpoint(DateTimeOffset at, TimeSpan duration)
    {
        Interlocked.Exchange(ref _checkpointTicks, duration.Ticks);
        Interlocked.Exchange(ref _checkpointAt, at.ToUnixTimeMilliseconds());
    }

    /// <summary>When the last checkpoint was stored and how long its store write took; null before the first.</summary>
    public (DateTimeOffset At, TimeSpan Duration)? LastCheckpoint =>
        Interlocked.Read(ref _checkpointAt) is var at && at != long.MinValue
            ? (DateTimeOffset.FromUnixTimeMilliseconds(at), TimeSpan.FromTicks(Interlocked.Read(ref _checkpointTicks)))
            : null;

    /// <summary>Events taken per source topic and partition.</summary>
    public IReadOnlyList<(string Topic, int Partition, long Count)> EventsInByPartition() =>
        [.. _eventsByPartition.Select(kv => (kv.Key.Topic, kv.Key.Partition, kv.Value.Value))];

    /// <summary>Dead letters per reason (the <c>alerting-reason</c> header).</summary>
    public IReadOnlyList<(string Reason, long Count)> DeadLettersByReason() =>
        [.. _deadLettersByReason.Select(kv => (kv.Key, kv.Value.Value))];

    /// <summary>Alerts per rule id and kind.</summary>
    public IReadOnlyList<(string Rule, AlertKind Kind, long Count)> AlertsByRule() =>
        [.. _alertsByRule.Select(kv => (kv.Key.Rule, kv.Key.Kind, kv.Value.Value))];

    /// <summary>
    /// The final line: <c>summary events_in=N alerts_out=N dispatched=N dead_letter=N late=N</c>.
    /// Scripts parse it: extend at the end, never rename.
    /// </summary>
    public string SummaryLine() =>
        $"summary events_in={EventsIn} alerts_out={AlertsOut} dispatched={Dispatched} dead_letter={DeadLetter} late={Late}";

    private sealed class Tally
    {
        private long _value;

        public long Value => Interlocked.Read(ref _value);

        public void Add(long n) => Interlocked.Add(ref _value, n);
    }
}
