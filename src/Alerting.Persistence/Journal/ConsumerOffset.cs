namespace Alerting.Persistence;

/// <summary>
/// A Kafka consumer position stored with the journal events it produced: the next offset to read of
/// <paramref name="Topic"/>/<paramref name="Partition"/> for consumer group <paramref name="GroupId"/>
/// (Kafka's convention: last processed offset + 1).
/// </summary>
public sealed record ConsumerOffset(string GroupId, string Topic, int Partition, long Offset);
