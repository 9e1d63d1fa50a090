using Confluent.Kafka;

namespace Alerting.Kafka.Messages;

/// <summary>
/// A record to produce: the topic, an optional partition (null lets the partitioner choose from the key) and
/// the Confluent.Kafka message (key, value, headers, timestamp).
/// </summary>
/// <typeparam name="TKey">Key type.</typeparam>
/// <typeparam name="TValue">Value type.</typeparam>
public sealed class ProducerRecord<TKey, TValue>
{
    /// <summary>A record for <paramref name="topic"/>, partition <paramref name="partition"/> (or the partitioner's choice when null).</summary>
    public ProducerRecord(string topic, int? partition, Message<TKey, TValue> message)
    {
        ArgumentException.ThrowIfNullOrEmpty(topic);
        ArgumentNullException.ThrowIfNull(message);
        if (partition is < 0)
        {
            throw new ArgumentOutOfRangeException(nameof(partition), partition, "A partition number is not negative.");
        }

        Topic = topic;
        Partition = partition;
        Message = message;
    }

    /// <summary>A record for <paramref name="topic"/>, partitioned by its key.</summary>
    public ProducerRecord(string topic, Message<TKey, TValue> message)
        : this(topic, null, message)
    {
    }

    /// <summary>A record for one partition.</summary>
    public ProducerRecord(TopicPartition topicPartition, Message<TKey, TValue> message)
        : this((topicPartition ?? throw new ArgumentNullException(nameof(topicPartition))).Topic, topicPartition.Partition.Value, message)
    {
    }

    /// <summary>A record of a key and a value for <paramref name="topic"/>, partitioned by the key.</summary>
    public ProducerRecord(string topic, TKey key, TValue value)
        : this(topic, null, new Message<TKey, TValue> { Key = key, Value = value })
    {
    }

    /// <summary>The topic.</summary>
    public string Topic { get; }

    /// <summary>The partition, or null for the partitioner's choice.</summary>
    public int? Partition { get; }

    /// <summary>The message.</summary>
    public Message<TKey, TValue> Message { get; }

    /// <inheritdoc />
    public override string ToString() =>
        $"ProducerRecord(topic={Topic}, partition={(Partition?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "any")}, key={Message.Key})";
}
