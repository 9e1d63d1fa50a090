namespace Alerting.Persistence;

/// <summary>
/// An append hit a (persistence id, sequence number) that is already written: another writer (typically the
/// stale owner of a partition after a rebalance, or the new one) got there first. Nothing of the failed batch
/// was written, its consumer offsets included.
/// </summary>
public sealed class JournalConcurrencyException : Exception
{
    public JournalConcurrencyException()
    {
    }

    public JournalConcurrencyException(string message) : base(message)
    {
    }

    public JournalConcurrencyException(string message, Exception innerException) : base(message, innerException)
    {
    }
}
