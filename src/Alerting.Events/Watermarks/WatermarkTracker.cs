namespace Alerting.Events;

/// <summary>Where an event falls relative to the watermark when it arrives.</summary>
public enum Lateness : byte
{
    /// <summary>At or after the watermark.</summary>
    OnTime = 0,
    /// <summary>Behind the watermark but within the allowed lateness: processed, flagged <see cref="DeviceEvent.IsLate"/>.</summary>
    Late,
    /// <summary>Behind the watermark by more than the allowed lateness: routed to the late topic, counted.</summary>
    TooLate,
}

/// <summary>
/// Event-time watermarks of one stage under bounded disorder, as DESIGN.md defines them. Each partition's
/// watermark is the largest event time it has shown minus max-out-of-orderness; the stage's watermark is the
/// minimum over the active partitions. A partition that has had no event for idle-timeout (wall clock of the
/// injected <see cref="TimeProvider"/>, evaluated by <see cref="Refresh"/>) stops holding it back, and is active
/// again with its next event. When every partition is idle, nothing holds the watermark back and it moves to
/// the largest partition watermark. The stage watermark never decreases — not even when an idle partition wakes
/// up behind it; that partition's events are then late or too late, and it holds the watermark back until it
/// catches up. An event is late when its time is before the watermark, too late when it is before the
/// watermark minus allowed-lateness. Pure and single-threaded (one tracker per stage); counters may be read
/// from any thread.
/// <para>
/// Two options serve a per-partition stage. With a max clock skew, the time an event feeds to its partition is
/// clamped to the wall clock plus that skew (the event itself is classified and passed on with its own time), so
/// one device whose clock runs minutes fast cannot push the watermark ahead of everyone else's events. With
/// idle advance, an idle partition's watermark moves on with the wall clock from the moment it went idle, so
/// event time keeps passing on a quiet partition and absence rules still fire; its next event makes it active
/// again, and, as ever, the watermark does not move back.
/// </para>
/// <para>
/// With confirmation required as well, quiet is not taken on trust: a partition without events may be quiet, or its
/// records may be stuck (fetches failing, a backlog not yet read). The caller asks the broker and reports each answer:
/// <see cref="ConfirmCaughtUp"/> when the partition's log end was no further than what had been read and handed on
/// at some moment (the time the question was asked), <see cref="NotCaughtUp"/> otherwise (a backlog, or no answer).
/// An idle partition's watermark then moves with the wall clock only up to the last confirmed moment, and an idle
/// partition stops holding the watermark back only while its latest answer confirmed it caught up; an idle partition
/// not (or no longer) confirmed holds it back at its own watermark, as an active one does. A record written before
/// the confirmed moment has been seen, and one written after it finds a watermark no further than that moment minus
/// the idle timeout and the out-of-orderness.
/// </para>
/// </summary>
public sealed class WatermarkTracker
{
    /// <summary>The watermark before any partition has shown an event.</summary>
    public const long NoWatermark = long.MinValue;

    private readonly Dictionary<(string Topic, int Partition), PartitionState> _byKey = [];
    private readonly List<PartitionState> _partitions = [];
    private readonly TimeProvider _time;
    private readonly long _outOfOrdernessMs;
    private readonly long _allowedLatenessMs;
    private readonly long _idleMs;
    private readonly long _maxSkewMs;
    private readonly bool _idleAdvance;
    private readonly bool _confirm;
    private PartitionState? _last;
    private long _watermark = NoWatermark;
    private long _late;
    private long _tooLate;
    private long _clamped;

    /// <param name="maxOutOfOrderness">How far behind its newest event a partition's events may still arrive.</param>
    /// <param name="allowedLateness">How far behind the watermark an event is still processed (flagged late).</param>
    /// <param name="idleTimeout">Wall-clock time without events after which a partition is idle; zero disables idleness.</param>
    /// <param name="time">The wall clock (default: the system clock).</param>
    /// <param name="maxClockSkew">
    /// How far ahead of the wall clock an event time may push its partition; later times are clamped to wall clock
    /// + this skew. Null (the default) clamps nothing.
    /// </param>
    /// <param name="idleAdvance">Whether an idle partition's watermark moves on with the wall clock (off by default).</param>
    /// <param name="requireConfirmation">
    /// Whether idleness must be confirmed (<see cref="ConfirmCaughtUp"/>): an idle partition then advances only up to
    /// its last confirmed moment and holds the watermark back while unconfirmed (off by default: quiet is trusted).
    /// </param>
    public WatermarkTracker(
        TimeSpan maxOutOfOrderness,
        TimeSpan allowedLateness,
        TimeSpan idleTimeout,
        TimeProvider? time = null,
        TimeSpan? maxClockSkew = null,
        bool idleAdvance = false,
        bool requireConfirmation = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxOutOfOrderness, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(allowedLateness, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(idleTimeout, TimeSpan.Zero);
        if (maxClockSkew is { } skew)
        {
            ArgumentOutOfRangeException.ThrowIfLessThan(skew, TimeSpan.Zero, nameof(maxClockSkew));
        }

        _outOfOrdernessMs = (long)maxOutOfOrderness.TotalMilliseconds;
        _allowedLatenessMs = (long)allowedLateness.TotalMilliseconds;
        _idleMs = (long)idleTimeout.TotalMilliseconds;
        _maxSkewMs = maxClockSkew is { } s ? (long)s.TotalMilliseconds : -1;
        _idleAdvance = idleAdvance && _idleMs > 0;
        _confirm = requireConfirmation && _idleMs > 0;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>A tracker with the watermark settings of a source definition.</summary>
    public static WatermarkTracker For(SourceDefinition source, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new WatermarkTracker(source.MaxOutOfOrderness, source.AllowedLateness, source.IdleTimeout, time);
    }

    /// <summary>The stage watermark in Unix ms, or <see cref="NoWatermark"/>.</summary>
    public long Watermark => _watermark;

    /// <summary>Events classified late so far.</summary>
    public long LateEvents => Interlocked.Read(ref _late);

    /// <summary>Events classified too late so far.</summary>
    public long TooLateEvents => Interlocked.Read(ref _tooLate);

    /// <summary>Events whose time was ahead of wall clock + max clock skew, so fed to the watermark clamped.</summary>
    public long ClampedEvents => Interlocked.Read(ref _clamped);

    /// <summary>The max clock skew in force, or null when event times are not clamped.</summary>
    public TimeSpan? MaxClockSkew => _maxSkewMs < 0 ? null : TimeSpan.FromMilliseconds(_maxSkewMs);

    /// <summary>Whether idle partitions move on with the wall clock.</summary>
    public bool IdleAdvance => _idleAdvance;

    /// <summary>Whether idleness must be confirmed by <see cref="ConfirmCaughtUp"/>.</summary>
    public bool RequiresConfirmation => _confirm;

    /// <summary>Partitions currently holding the watermark back.</summary>
    public int ActivePartitions => _partitions.Count(p => !p.Idle);

    /// <summary>Idle partitions whose latest answer did not confirm them caught up (they hold the watermark back).</summary>
    public int UnconfirmedIdlePartitions => _confirm ? _partitions.Count(p => p.Idle && !p.CaughtUp) : 0;

    /// <summary>The idle partitions, in the order they were first seen: those to confirm.</summary>
    public IReadOnlyList<(string Topic, int Partition)> IdlePartitionList =>
        [.. _partitions.Where(p => p.Idle).Select(p => (p.Topic, p.Partition))];

    /// <summary>Partitions currently idle.</summary>
    public int IdlePartitions => _partitions.Count(p => p.Idle);

    /// <summary>
    /// The earliest wall-clock time at which an active partition may become idle (when <see cref="Refresh"/>
    /// should run next), or null when none can (no active partition, or idleness disabled).
    /// </summary>
    public DateTimeOffset? NextIdleCheck
    {
        get
        {
            if (_idleMs <= 0)
            {
                return null;
            }

            var next = long.MaxValue;
            foreach (var p in _partitions)
            {
                if (!p.Idle && p.LastActivityMs < next)
                {
                    next = p.LastActivityMs;
                }
            }

            return next == long.MaxValue ? null : DateTimeOffset.FromUnixTimeMilliseconds(next + _idleMs);
        }
    }

    /// <summary>Classifies an event against the current watermark, then lets it advance its partition.</summary>
    public Lateness Observe(DeviceEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return Observe(ev.Topic, ev.Partition, ev.EventTime);
    }

    /// <summary>Classifies an event time against the current watermark, then lets it advance its partition.</summary>
    public Lateness Observe(string topic, int partition, long eventTime)
    {
        var p = Get(topic, partition);
        var wm = _watermark;
        Lateness lateness;
        if (wm == NoWatermark || eventTime >= wm)
        {
            lateness = Lateness.OnTime;
        }
        else if (eventTime >= wm - _allowedLatenessMs)
        {
            lateness = Lateness.Late;
            Interlocked.Increment(ref _late);
        }
        else
        {
            lateness = Lateness.TooLate;
            Interlocked.Increment(ref _tooLate);
        }

        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        p.LastActivityMs = now;
        p.CaughtUp = false;
        var fed = Clamp(eventTime, now);
        var changed = false;
        if (p.Idle)
        {
            p.Idle = false;
            changed = true;
        }

        if (fed > p.MaxEventTime)
        {
            p.MaxEventTime = fed;
            changed = true;
        }

        if (changed)
        {
            Recompute(now);
        }

        return lateness;
    }

    /// <summary>
    /// Lets an event time advance its partition without classifying it: for records read again after a restart
    /// that were classified when first read.
    /// </summary>
    public void Advance(string topic, int partition, long eventTime)
    {
        var p = Get(topic, partition);
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        p.LastActivityMs = now;
        p.CaughtUp = false;
        var fed = Clamp(eventTime, now);
        if (fed > p.MaxEventTime || p.Idle)
        {
            p.Idle = false;
            p.MaxEventTime = Math.Max(p.MaxEventTime, fed);
            Recompute(now);
        }
    }

    /// <summary>
    /// Raises the watermark to at least <paramref name="watermark"/> (e.g. the watermark a restored checkpoint was
    /// taken at), so events older than it are classified late as they were before the restart. Partitions still
    /// hold it back from going further until their own events pass it.
    /// </summary>
    public void RaiseTo(long watermark)
    {
        if (watermark > _watermark)
        {
            _watermark = watermark;
        }
    }

    /// <summary>
    /// Declares a partition (e.g. just assigned) before it has any event: it holds the watermark back until
    /// its first event or until it is idle.
    /// </summary>
    public void Register(string topic, int partition)
    {
        var p = Get(topic, partition);
        p.LastActivityMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
    }

    /// <summary>Forgets a partition (e.g. revoked); the watermark may advance as a result. True when it was known.</summary>
    public bool Remove(string topic, int partition)
    {
        if (!_byKey.Remove((topic, partition), out var p))
        {
            return false;
        }

        _partitions.Remove(p);
        _last = null;
        Recompute(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return true;
    }

    /// <summary>Marks partitions idle by the wall clock and recomputes; true when the watermark advanced.</summary>
    public bool Refresh()
    {
        var before = _watermark;
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (_idleMs > 0)
        {
            foreach (var p in _partitions)
            {
                if (!p.Idle && now - p.LastActivityMs >= _idleMs)
                {
                    p.Idle = true;
                }
            }
        }

        Recompute(now);
        return _watermark > before;
    }

    /// <summary>
    /// The broker confirmed that, at <paramref name="asOf"/> (when it was asked), the partition's log ended no further
    /// than what had been read and handed on: every record written before then has been seen. An idle partition may
    /// then advance up to that moment and stops holding the watermark back. An answer to a question asked before the
    /// partition's last event says nothing of the time since, and is ignored. True when the watermark advanced.
    /// </summary>
    public bool ConfirmCaughtUp(string topic, int partition, DateTimeOffset asOf)
    {
        if (!_byKey.TryGetValue((topic, partition), out var p))
        {
            return false;
        }

        var at = asOf.ToUnixTimeMilliseconds();
        if (at < p.LastActivityMs)
        {
            return false;
        }

        p.CaughtUp = true;
        p.ConfirmedMs = Math.Max(p.ConfirmedMs, at);
        var before = _watermark;
        Recompute(_time.GetUtcNow().ToUnixTimeMilliseconds());
        return _watermark > before;
    }

    /// <summary>
    /// The broker's log end was past what had been read (a backlog, records stuck before this stage), or it gave no
    /// answer: the partition is not known to be caught up. An idle one holds the watermark back at its last confirmed
    /// moment until a later answer confirms it again.
    /// </summary>
    public void NotCaughtUp(string topic, int partition)
    {
        if (_byKey.TryGetValue((topic, partition), out var p))
        {
            p.CaughtUp = false;
        }
    }

    /// <summary>Whether a partition's latest answer confirmed it caught up (false when unknown).</summary>
    public bool IsConfirmedCaughtUp(string topic, int partition) => _byKey.TryGetValue((topic, partition), out var p) && p.CaughtUp;

    /// <summary>Whether a partition is currently idle (false when unknown).</summary>
    public bool IsIdle(string topic, int partition) => _byKey.TryGetValue((topic, partition), out var p) && p.Idle;

    private PartitionState Get(string topic, int partition)
    {
        var last = _last;
        if (last is not null && last.Partition == partition && ReferenceEquals(last.Topic, topic))
        {
            return last;
        }

        if (!_byKey.TryGetValue((topic, partition), out var p))
        {
            p = new PartitionState(topic, partition) { LastActivityMs = _time.GetUtcNow().ToUnixTimeMilliseconds() };
            _byKey.Add((topic, partition), p);
            _partitions.Add(p);
        }

        _last = p;
        return p;
    }

    private long Clamp(long eventTime, long now)
    {
        if (_maxSkewMs < 0 || eventTime <= now + _maxSkewMs)
        {
            return eventTime;
        }

        Interlocked.Increment(ref _clamped);
        return now + _maxSkewMs;
    }

    private void Recompute(long now)
    {
        var minHolding = long.MaxValue;
        var maxAll = NoWatermark;
        var anyHolding = false;
        foreach (var p in _partitions)
        {
            var pw = p.MaxEventTime == NoWatermark ? NoWatermark : p.MaxEventTime - _outOfOrdernessMs;
            if (p.Idle && _idleAdvance && pw != NoWatermark)
            {
                // event time goes on passing on a quiet partition, at the wall clock's pace since it went idle, but
                // (with confirmation) only up to the last moment the broker confirmed it had nothing more to read
                var until = _confirm ? Math.Min(now, p.ConfirmedMs) : now;
                var since = p.LastActivityMs + _idleMs;
                pw += until > since ? until - since : 0;
            }

            // an idle partition not confirmed caught up may have records on their way: it holds the others back
            if (!p.Idle || (_confirm && !p.CaughtUp))
            {
                anyHolding = true;
                minHolding = Math.Min(minHolding, pw);
            }

            maxAll = Math.Max(maxAll, pw);
        }

        var candidate = anyHolding ? minHolding : maxAll;
        if (candidate > _watermark)
        {
            _watermark = candidate;
        }
    }

    private sealed class PartitionState(string topic, int partition)
    {
        public string Topic { get; } = topic;
        public int Partition { get; } = partition;
        public long MaxEventTime { get; set; } = NoWatermark;
        public long LastActivityMs { get; set; }
        public bool Idle { get; set; }

        /// <summary>The latest answer since its last event confirmed it caught up.</summary>
        public bool CaughtUp { get; set; }

        /// <summary>The latest moment (Unix ms) the broker confirmed it caught up.</summary>
        public long ConfirmedMs { get; set; } = long.MinValue;
    }
}
