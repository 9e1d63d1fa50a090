namespace Alerting.Kafka.Streaming;

/// <summary>
/// What a <see cref="KafkaConsumerSource"/> has done, across its runs: records, pauses, commits, rebalances, and the
/// signs of loss or repetition. Consumer groups deliver at least once: records read again after a rebalance are
/// counted in <see cref="RepeatedRecords"/>, never hidden; offsets skipped forward (an <c>auto.offset.reset</c>
/// after falling out of retention, or gaps) are counted in <see cref="SkippedOffsets"/> as data loss.
/// Updated with <see cref="Interlocked"/>; read from any thread.
/// </summary>
public sealed class KafkaConsumerCounters
{
    internal long _records;
    internal long _repeated;
    internal long _pauses;
    internal long _resumes;
    internal long _commits;
    internal long _commitFailures;
    internal long _assigned;
    internal long _revoked;
    internal long _lost;
    internal long _droppedOnRevoke;
    internal long _gaps;
    internal long _skipped;
    internal long _offsetResets;
    internal long _consumeErrors;
    internal long _maxBuffered;

    /// <summary>Records taken from Kafka.</summary>
    public long Records => Interlocked.Read(ref _records);

    /// <summary>Records at or below an offset this source had already taken for that partition (re-read after a rebalance).</summary>
    public long RepeatedRecords => Interlocked.Read(ref _repeated);

    /// <summary>Times a partition was paused because its buffer was full.</summary>
    public long Pauses => Interlocked.Read(ref _pauses);

    /// <summary>Times a paused partition was resumed after its buffer drained.</summary>
    public long Resumes => Interlocked.Read(ref _resumes);

    /// <summary>Successful offset commits (each may cover several partitions).</summary>
    public long Commits => Interlocked.Read(ref _commits);

    /// <summary>Commits the group rejected (e.g. during a rebalance); the offsets are committed by a later commit or replayed.</summary>
    public long CommitFailures => Interlocked.Read(ref _commitFailures);

    /// <summary>Partitions assigned.</summary>
    public long PartitionsAssigned => Interlocked.Read(ref _assigned);

    /// <summary>Partitions revoked.</summary>
    public long PartitionsRevoked => Interlocked.Read(ref _revoked);

    /// <summary>Partitions lost (taken away without a chance to commit).</summary>
    public long PartitionsLost => Interlocked.Read(ref _lost);

    /// <summary>Buffered records dropped on revoke (never emitted; the next owner reads them from the last commit).</summary>
    public long DroppedOnRevoke => Interlocked.Read(ref _droppedOnRevoke);

    /// <summary>Times a partition's offsets jumped forward (an offset reset, or a gap in the log).</summary>
    public long OffsetGaps => Interlocked.Read(ref _gaps);

    /// <summary>Offsets skipped by those jumps: records that were never read (data loss, unless the log had gaps).</summary>
    public long SkippedOffsets => Interlocked.Read(ref _skipped);

    /// <summary>Offset resets reported by the client (<c>auto.offset.reset</c> applied to a partition with a position).</summary>
    public long OffsetResets => Interlocked.Read(ref _offsetResets);

    /// <summary>Transient consume errors (the consumer keeps polling).</summary>
    public long ConsumeErrors => Interlocked.Read(ref _consumeErrors);

    /// <summary>The most records one partition has held buffered (its channel plus what arrived after it was paused).</summary>
    public long MaxBuffered => Interlocked.Read(ref _maxBuffered);

    internal void ObserveBuffered(long buffered)
    {
        var current = Interlocked.Read(ref _maxBuffered);
        while (buffered > current)
        {
            var seen = Interlocked.CompareExchange(ref _maxBuffered, buffered, current);
            if (seen == current)
            {
                return;
            }

            current = seen;
        }
    }
}
