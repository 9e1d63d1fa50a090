namespace Alerting.Events;

/// <summary>
/// How far one topic partition has been read and handed on, for confirming that an idle partition is caught up:
/// the offset after the last record taken from the consumer (or the log end the consumer reached with every record
/// before it taken), and how many taken records are not yet accounted for (on their way to the watermark stage).
/// A partition is caught up to a log end when every record before it was taken and none is still on its way: each
/// was seen by the watermark stage, dead-lettered or skipped. Written from the consumer's and the stream's threads,
/// read from the stream's; lock-free.
/// </summary>
public sealed class ReadProgress
{
    private long _next = -1;
    private long _inFlight;

    /// <summary>The offset after the last record taken, or the log end reached; -1 before either.</summary>
    public long Next => Volatile.Read(ref _next);

    /// <summary>Records taken and not yet accounted for.</summary>
    public long InFlight => Interlocked.Read(ref _inFlight);

    /// <summary>A record at <paramref name="offset"/> is taken from the consumer (before it is passed on): on its way until <see cref="Settled"/>.</summary>
    public void Took(long offset)
    {
        Interlocked.Increment(ref _inFlight); // before the offset: whoever sees the offset sees the record in flight
        RaiseNext(offset + 1);
    }

    /// <summary>The consumer reached the log end at <paramref name="offset"/> with every record before it taken (gaps included).</summary>
    public void Reached(long offset) => RaiseNext(offset);

    /// <summary>A taken record is accounted for: seen by the watermark stage, dead-lettered or skipped.</summary>
    public void Settled() => Interlocked.Decrement(ref _inFlight);

    /// <summary>Whether every record before <paramref name="logEnd"/> has been taken and accounted for.</summary>
    public bool CaughtUpTo(long logEnd)
    {
        var next = Volatile.Read(ref _next); // first: a record counted in it is counted in flight already
        return next >= logEnd && Interlocked.Read(ref _inFlight) <= 0;
    }

    private void RaiseNext(long next)
    {
        var seen = Volatile.Read(ref _next);
        while (next > seen)
        {
            var was = Interlocked.CompareExchange(ref _next, next, seen);
            if (was == seen)
            {
                return;
            }

            seen = was;
        }
    }
}
