namespace Alerting.Events;

/// <summary>
/// A record as a Kafka source stage hands it to the decode stage: value and key bytes, where it was read (topic,
/// partition, offset), the producer's timestamp and headers, and a pass-through slot the decode stage carries to
/// the dead-letter outlet untouched (a committable offset, a producer envelope's pass-through, anything).
/// </summary>
/// <typeparam name="TPassThrough">What rides along with the record (e.g. its committable offset).</typeparam>
/// <param name="Key">The record key, or null.</param>
/// <param name="Value">The record value (UTF-8 JSON, or whatever a producer sent); empty for a tombstone.</param>
/// <param name="Topic">The topic it was read from.</param>
/// <param name="Partition">The partition it was read from.</param>
/// <param name="Offset">Its offset in the partition.</param>
/// <param name="Timestamp">The record's Kafka timestamp (Unix ms; the producer's CreateTime as a rule).</param>
/// <param name="Headers">The record's headers, in order (an empty list when none).</param>
/// <param name="PassThrough">The pass-through value.</param>
public sealed record SourceRecord<TPassThrough>(
    byte[]? Key,
    ReadOnlyMemory<byte> Value,
    string Topic,
    int Partition,
    long Offset,
    long Timestamp,
    IReadOnlyList<KeyValuePair<string, byte[]>> Headers,
    TPassThrough PassThrough)
{
    /// <summary>Topic, partition and offset, as the decoder and the dead-letter headers name them.</summary>
    public RecordOrigin Origin => new(Topic, Partition, Offset);
}
