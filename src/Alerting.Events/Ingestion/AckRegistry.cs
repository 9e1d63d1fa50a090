using Alerting.Kafka.Streaming;

namespace Alerting.Events;

/// <summary>
/// The offset handles of the events on their way to the rule matcher, keyed by (topic, partition, offset). When a
/// partition is revoked and assigned again, the same record can be on its way twice; the handles of one key are
/// then taken oldest first, so the handle of the newer assignment is marked only once both copies were acknowledged
/// and a commit never passes a copy still in flight. Thread-safe.
/// </summary>
internal sealed class AckRegistry
{
    private readonly Dictionary<(string Topic, int Partition, long Offset), CommittableOffset> _handles = [];
    private readonly Dictionary<(string Topic, int Partition, long Offset), Queue<CommittableOffset>> _more = [];
    private readonly Lock _gate = new();

    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _handles.Count;
            }
        }
    }

    public void Add(string topic, int partition, long offset, CommittableOffset handle)
    {
        var key = (topic, partition, offset);
        lock (_gate)
        {
            if (_handles.TryAdd(key, handle))
            {
                return;
            }

            if (!_more.TryGetValue(key, out var queue))
            {
                queue = new Queue<CommittableOffset>(1);
                _more.Add(key, queue);
            }

            queue.Enqueue(handle);
        }
    }

    public bool TryTake(string topic, int partition, long offset, out CommittableOffset handle)
    {
        var key = (topic, partition, offset);
        lock (_gate)
        {
            if (!_handles.Remove(key, out handle))
            {
                return false;
            }

            if (_more.TryGetValue(key, out var queue))
            {
                _handles[key] = queue.Dequeue();
                if (queue.Count == 0)
                {
                    _more.Remove(key);
                }
            }

            return true;
        }
    }
}
