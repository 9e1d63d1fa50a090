using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// The offsets of one assigned partition that downstream stages still need. Records are registered, in
/// increasing offset order, when the partition's substream emits them; downstream marks them done in any order
/// (after an alert is acknowledged, after a window no longer needs the record). The committable offset is the
/// lowest offset not yet done, or the last emitted offset + 1 when everything emitted is done, so a commit never
/// passes a record that is still needed. A revoked tracker accepts nothing more. Thread-safe.
/// </summary>
public sealed class OffsetTracker
{
    /// <summary>The committable offset before anything was emitted: nothing to commit.</summary>
    public const long NothingToCommit = -1;

    private readonly Lock _gate = new();
    private long[] _offsets = new long[64];
    private bool[] _done = new bool[64];
    private int _head;
    private int _count;
    private long _next = NothingToCommit;
    private long _lastCommitted;
    private long _markedDone;
    private bool _revoked;

    /// <summary>Creates the tracker of a partition whose committed offset was <paramref name="committedAtAssignment"/> (-1 when unknown).</summary>
    public OffsetTracker(TopicPartition topicPartition, long committedAtAssignment = NothingToCommit)
    {
        TopicPartition = topicPartition ?? throw new ArgumentNullException(nameof(topicPartition));
        CommittedAtAssignment = committedAtAssignment;
        _lastCommitted = committedAtAssignment;
    }

    /// <summary>The partition tracked.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The group's committed offset when the partition was assigned (-1 when it had none or it was not known).</summary>
    public long CommittedAtAssignment { get; }

    /// <summary>True once the partition was revoked (or lost): registrations and marks are refused.</summary>
    public bool IsRevoked
    {
        get
        {
            lock (_gate)
            {
                return _revoked;
            }
        }
    }

    /// <summary>Records emitted and not yet marked done.</summary>
    public int InFlight
    {
        get
        {
            lock (_gate)
            {
                var pending = 0;
                for (var i = 0; i < _count; i++)
                {
                    if (!_done[(_head + i) % _offsets.Length])
                    {
                        pending++;
                    }
                }

                return pending;
            }
        }
    }

    /// <summary>How many records were marked done.</summary>
    public long MarkedDone => Interlocked.Read(ref _markedDone);

    /// <summary>The offset last committed for this partition by its consumer (-1 before any).</summary>
    public long LastCommitted
    {
        get
        {
            lock (_gate)
            {
                return _lastCommitted;
            }
        }
    }

    /// <summary>
    /// The offset up to which (exclusive) everything emitted is done: the lowest pending offset, else the last
    /// emitted offset + 1; <see cref="NothingToCommit"/> before the first emission.
    /// </summary>
    public long Committable
    {
        get
        {
            lock (_gate)
            {
                return _count > 0 ? _offsets[_head] : _next;
            }
        }
    }

    /// <summary>
    /// Registers an emitted record. Returns false (and registers nothing) when the tracker is revoked or the offset
    /// is not above the last registered one (a repeat).
    /// </summary>
    public bool TryRegister(long offset)
    {
        lock (_gate)
        {
            if (_revoked || offset < _next)
            {
                return false;
            }

            if (_count == _offsets.Length)
            {
                Grow();
            }

            var slot = (_head + _count) % _offsets.Length;
            _offsets[slot] = offset;
            _done[slot] = false;
            _count++;
            _next = offset + 1;
            return true;
        }
    }

    /// <summary>
    /// Marks an emitted record done. Returns false when the offset is not pending (never emitted, already done) or
    /// the tracker is revoked.
    /// </summary>
    public bool MarkDone(long offset)
    {
        lock (_gate)
        {
            if (_revoked || _count == 0)
            {
                return false;
            }

            var index = Find(offset);
            if (index < 0)
            {
                return false;
            }

            var slot = (_head + index) % _offsets.Length;
            if (_done[slot])
            {
                return false;
            }

            _done[slot] = true;
            Interlocked.Increment(ref _markedDone);
            while (_count > 0 && _done[_head])
            {
                _head = (_head + 1) % _offsets.Length;
                _count--;
            }

            return true;
        }
    }

    /// <summary>Stops the tracker: nothing more is registered or marked; returns the committable offset at that moment.</summary>
    public long Revoke()
    {
        lock (_gate)
        {
            _revoked = true;
            return _count > 0 ? _offsets[_head] : _next;
        }
    }

    /// <summary>Records that <paramref name="offset"/> was committed.</summary>
    internal void Committed(long offset)
    {
        lock (_gate)
        {
            _lastCommitted = Math.Max(_lastCommitted, offset);
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"{TopicPartition}: committable {Committable}, in flight {InFlight}, committed {LastCommitted}";

    // Index (0-based from the head) of offset among the pending ones, by binary search; -1 when absent.
    private int Find(long offset)
    {
        int lo = 0, hi = _count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            var value = _offsets[(_head + mid) % _offsets.Length];
            if (value == offset)
            {
                return mid;
            }

            if (value < offset)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid - 1;
            }
        }

        return -1;
    }

    private void Grow()
    {
        var offsets = new long[_offsets.Length * 2];
        var done = new bool[_offsets.Length * 2];
        for (var i = 0; i < _count; i++)
        {
            var slot = (_head + i) % _offsets.Length;
            offsets[i] = _offsets[slot];
            done[i] = _done[slot];
        }

        _offsets = offsets;
        _done = done;
        _head = 0;
    }
}
