namespace Alerting.Kafka;

/// <summary>A librdkafka property that was refused, naming its key (the value is left out when it is a secret).</summary>
public sealed class InvalidKafkaPropertyException : ArgumentException
{
    /// <summary>Creates the error for <paramref name="key"/>; <paramref name="reason"/> completes "… is not".</summary>
    public InvalidKafkaPropertyException(string key, string value, string reason)
        : base($"Kafka client property {key} = \"{Shown(key, value)}\" is not {reason}")
    {
        Key = key;
        Value = Shown(key, value);
        Reason = reason;
    }

    /// <summary>The refused property's key, e.g. <c>sasl.mechanism</c>.</summary>
    public string Key { get; }

    /// <summary>The refused value, or <c>***</c> for a secret.</summary>
    public string Value { get; }

    /// <summary>Why it was refused, completing "… is not": e.g. <c>a librdkafka configuration property: …</c>.</summary>
    public string Reason { get; }

    private static string Shown(string key, string value) => KafkaClientProperties.IsSecret(key) ? "***" : value;
}
