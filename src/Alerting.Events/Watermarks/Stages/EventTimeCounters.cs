namespace Alerting.Events;

/// <summary>
/// Counters of the event-time stages, bumped with <see cref="Interlocked"/> so the stages of every partition can
/// share one instance and metrics can read it from any thread.
/// </summary>
public sealed class EventTimeCounters
{
    private long _late;
    private long _tooLate;
    private long _refused;
    private long _clamped;
    private long _partialMatchesDropped;

    /// <summary>Events behind the watermark within the allowed lateness: passed on, flagged late.</summary>
    public long Late => Interlocked.Read(ref _late);

    /// <summary>Events the watermark stage sent to its late outlet.</summary>
    public long TooLate => Interlocked.Read(ref _tooLate);

    /// <summary>Events the matcher refused (behind what it had released by more than the allowed lateness), sent to the match stage's late outlet.</summary>
    public long RefusedByMatcher => Interlocked.Read(ref _refused);

    /// <summary>Events whose time was ahead of wall clock + max clock skew, fed to the watermark clamped.</summary>
    public long Clamped => Interlocked.Read(ref _clamped);

    /// <summary>
    /// Partial matches of sequence rules the matcher did not keep because a rule and device already held the most
    /// allowed (the engine's <c>MaxPartialMatches</c>): non-zero means alerts may have been missed.
    /// </summary>
    public long PartialMatchesDropped => Interlocked.Read(ref _partialMatchesDropped);

    /// <summary>All events sent to a late outlet, by either stage.</summary>
    public long SentToLate => TooLate + RefusedByMatcher;

    internal void AddLate() => Interlocked.Increment(ref _late);

    internal void AddTooLate() => Interlocked.Increment(ref _tooLate);

    internal void AddClamped(long n) => Interlocked.Add(ref _clamped, n);

    /// <summary>Counts partial matches the matcher did not keep.</summary>
    public void AddPartialMatchesDropped(long n) => Interlocked.Add(ref _partialMatchesDropped, n);

    /// <summary>Counts one event the matcher refused.</summary>
    public void AddRefusedByMatcher() => Interlocked.Increment(ref _refused);
}
