namespace Alerting.Events;

/// <summary>
/// Counts decoded records and failures per <see cref="DecodeError"/> reason: a <c>long[]</c> indexed by reason,
/// bumped with <see cref="Interlocked"/>, so any number of partitions can share one instance cheaply.
/// </summary>
public sealed class DecodeCounters
{
    private readonly long[] _failures = new long[DecodeErrors.Count];
    private long _decoded;

    /// <summary>Records decoded into events.</summary>
    public long Decoded => Interlocked.Read(ref _decoded);

    /// <summary>All failures, whatever the reason.</summary>
    public long Failed
    {
        get
        {
            long sum = 0;
            for (var i = 0; i < _failures.Length; i++)
            {
                sum += Interlocked.Read(ref _failures[i]);
            }

            return sum;
        }
    }

    /// <summary>Failures for one reason.</summary>
    public long this[DecodeError reason] => Interlocked.Read(ref _failures[(int)reason]);

    /// <summary>Counts the outcome of one decode.</summary>
    public void Count(in DecodeResult result)
    {
        if (result.IsOk)
        {
            Interlocked.Increment(ref _decoded);
        }
        else
        {
            Interlocked.Increment(ref _failures[(int)result.Error]);
        }
    }

    /// <summary>Counts one failure.</summary>
    public void CountFailure(DecodeError reason) => Interlocked.Increment(ref _failures[(int)reason]);

    /// <summary>The counts by stable code (<c>decoded</c> and each reason's snake_case code), for metrics and the admin API.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var snapshot = new SortedDictionary<string, long>(StringComparer.Ordinal) { ["decoded"] = Decoded };
        foreach (var reason in DecodeErrors.All)
        {
            snapshot[reason.Code()] = this[reason];
        }

        return snapshot;
    }
}
