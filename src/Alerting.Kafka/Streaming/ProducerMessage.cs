using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// An element to produce: the topic, the Kafka message (key, value, headers; created once by the caller and
/// handed to the client as is) and a pass-through value that comes back with the acknowledgement — typically the
/// <see cref="CommittableOffset"/> of the record that caused it.
/// </summary>
public readonly record struct ProducerMessage<TPass>(string Topic, Message<byte[]?, byte[]?> Message, TPass PassThrough)
{
    /// <summary>A message from its parts.</summary>
    public static ProducerMessage<TPass> Of(string topic, byte[]? key, byte[]? value, Headers? headers, TPass passThrough) =>
        new(topic, new Message<byte[]?, byte[]?> { Key = key, Value = value, Headers = headers }, passThrough);
}

/// <summary>An acknowledged delivery: where Kafka stored the message, and the element's pass-through value.</summary>
public readonly record struct ProducerResult<TPass>(string Topic, int Partition, long Offset, TPass PassThrough);

/// <summary>Settings of a producer stage that owns its producer.</summary>
public sealed record KafkaProducerSettings
{
    /// <summary>Creates settings over a producer configuration (see <see cref="KafkaClients.ProducerConfig"/>).</summary>
    public KafkaProducerSettings(ProducerConfig config) => Config = config ?? throw new ArgumentNullException(nameof(config));

    /// <summary>The producer configuration (idempotence, batching, compression).</summary>
    public ProducerConfig Config { get; }

    /// <summary>Messages produced and not yet acknowledged, at most.</summary>
    public int MaxInFlight { get; init; } = 1000;

    /// <summary>How long the producer may take to flush when the stage completes.</summary>
    public TimeSpan FlushTimeout { get; init; } = TimeSpan.FromSeconds(30);
}
