namespace Alerting.Dispatch.Persistence;

/// <summary>A journal row as Akka.Persistence.Sql stores it (default table mapping).</summary>
/// <param name="PersistenceId">Whose event.</param>
/// <param name="SequenceNr">Its sequence number.</param>
/// <param name="Deleted">Marked deleted (kept only as the highest sequence number's holder).</param>
/// <param name="Message">The serialized event.</param>
/// <param name="Manifest">The serializer's manifest.</param>
/// <param name="SerializerId">The serializer's id; null for rows written without one.</param>
/// <param name="WriterUuid">The writer's id, when the table has that column.</param>
/// <param name="Created">When it was written (ticks).</param>
public sealed record JournalRecord(
    string PersistenceId, long SequenceNr, bool Deleted, byte[] Message, string? Manifest, int? SerializerId, string? WriterUuid, long Created);

/// <summary>A snapshot row as Akka.Persistence.Sql stores it (default table mapping).</summary>
/// <param name="PersistenceId">Whose snapshot.</param>
/// <param name="SequenceNr">The sequence number it covers.</param>
/// <param name="Created">When it was taken (ticks).</param>
/// <param name="Payload">The serialized snapshot.</param>
/// <param name="Manifest">The serializer's manifest.</param>
/// <param name="SerializerId">The serializer's id; null for rows written without one.</param>
public sealed record SnapshotRecord(string PersistenceId, long SequenceNr, long Created, byte[] Payload, string? Manifest, int? SerializerId);

/// <summary>A request answered with one value, or failed.</summary>
public abstract class RecoveryRequest<T> : IRecoveryRequest
{
    private readonly TaskCompletionSource<T> _answer = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>A request for <paramref name="persistenceId"/>.</summary>
    protected RecoveryRequest(string persistenceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(persistenceId);
        PersistenceId = persistenceId;
    }

    /// <summary>Whose data is asked for.</summary>
    public string PersistenceId { get; }

    /// <summary>The answer.</summary>
    public Task<T> Answer => _answer.Task;

    /// <summary>Answers the request.</summary>
    public void Complete(T value) => _answer.TrySetResult(value);

    /// <inheritdoc />
    public void Fail(Exception cause) => _answer.TrySetException(cause);
}

/// <summary>The highest sequence number written for a persistence id (deleted rows included; 0 when none).</summary>
public sealed class HighestSequenceNrRequest(string persistenceId) : RecoveryRequest<long>(persistenceId);

/// <summary>The events (not deleted) of a persistence id from <see cref="From"/> to <see cref="To"/>, at most <see cref="Max"/>, in order.</summary>
public sealed class EventsRequest : RecoveryRequest<IReadOnlyList<JournalRecord>>
{
    /// <summary>A request of <paramref name="persistenceId"/>'s events in [<paramref name="from"/>, <paramref name="to"/>], at most <paramref name="max"/>.</summary>
    public EventsRequest(string persistenceId, long from, long to, long max)
        : base(persistenceId)
    {
        From = from;
        To = to;
        Max = max;
    }

    /// <summary>Lowest sequence number wanted.</summary>
    public long From { get; }

    /// <summary>Highest sequence number wanted.</summary>
    public long To { get; }

    /// <summary>Most events wanted.</summary>
    public long Max { get; }
}

/// <summary>The newest snapshot of a persistence id, or null.</summary>
public sealed class LatestSnapshotRequest(string persistenceId) : RecoveryRequest<SnapshotRecord?>(persistenceId);
