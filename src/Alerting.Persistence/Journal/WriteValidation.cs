namespace Alerting.Persistence;

/// <summary>Checks a batch before it is sent, so a malformed event rejects its batch without any I/O.</summary>
internal static class WriteValidation
{
    public static void Validate(IReadOnlyList<JournalWrite> events, IReadOnlyList<ConsumerOffset> offsets)
    {
        ArgumentNullException.ThrowIfNull(events);
        ArgumentNullException.ThrowIfNull(offsets);
        HashSet<(string, long)>? seen = events.Count > 1 ? new HashSet<(string, long)>(events.Count) : null;
        for (var i = 0; i < events.Count; i++)
        {
            var e = events[i] ?? throw new ArgumentException($"Event {i} of the batch is null.", nameof(events));
            if (string.IsNullOrEmpty(e.PersistenceId))
            {
                throw new ArgumentException($"Event {i} of the batch has an empty persistence id.", nameof(events));
            }
            if (string.IsNullOrEmpty(e.PartitionKey))
            {
                throw new ArgumentException($"Event {i} ({e.PersistenceId}) has an empty partition key.", nameof(events));
            }
            if (e.SequenceNr < 1)
            {
                throw new ArgumentException($"Event {i} ({e.PersistenceId}) has sequence number {e.SequenceNr}; it must be at least 1.", nameof(events));
            }
            if (string.IsNullOrEmpty(e.Manifest))
            {
                throw new ArgumentException($"Event {i} ({e.PersistenceId}/{e.SequenceNr}) has an empty manifest.", nameof(events));
            }
            if (e.Payload is null)
            {
                throw new ArgumentException($"Event {i} ({e.PersistenceId}/{e.SequenceNr}) has no payload.", nameof(events));
            }
            if (seen is not null && !seen.Add((e.PersistenceId, e.SequenceNr)))
            {
                throw new ArgumentException($"The batch holds {e.PersistenceId}/{e.SequenceNr} twice.", nameof(events));
            }
        }
        foreach (var o in offsets)
        {
            if (o is null || string.IsNullOrEmpty(o.GroupId) || string.IsNullOrEmpty(o.Topic) || o.Partition < 0 || o.Offset < 0)
            {
                throw new ArgumentException($"Invalid consumer offset {o}.", nameof(offsets));
            }
        }
    }

    /// <summary>The offsets with one entry per (group, topic, partition): the last one given wins.</summary>
    public static IReadOnlyList<ConsumerOffset> Distinct(IReadOnlyList<ConsumerOffset> offsets)
    {
        if (offsets.Count < 2)
        {
            return offsets;
        }
        var map = new Dictionary<(string, string, int), ConsumerOffset>();
        foreach (var o in offsets)
        {
            map[(o.GroupId, o.Topic, o.Partition)] = o;
        }
        return map.Count == offsets.Count ? offsets : [.. map.Values];
    }
}
