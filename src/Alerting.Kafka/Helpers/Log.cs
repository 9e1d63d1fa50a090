using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Kafka.Helpers;

/// <summary>The Kafka stages' log messages (event ids 2200–2299).</summary>
internal static partial class KafkaLog
{
    [LoggerMessage(EventId = LogEvents.KafkaPartitionsAssigned, Level = LogLevel.Information, Message = "consumer {Client}: partitions assigned {Partitions}")]
    public static partial void PartitionsAssigned(ILogger logger, string client, string partitions);

    [LoggerMessage(EventId = LogEvents.KafkaPartitionsRevoked, Level = LogLevel.Information, Message = "consumer {Client}: partitions revoked {Partitions}")]
    public static partial void PartitionsRevoked(ILogger logger, string client, string partitions);

    [LoggerMessage(EventId = LogEvents.KafkaPartitionsLost, Level = LogLevel.Warning, Message = "consumer {Client}: partitions lost {Partitions}; their offsets are not committed")]
    public static partial void PartitionsLost(ILogger logger, string client, string partitions);

    [LoggerMessage(EventId = LogEvents.KafkaConsumeError, Level = LogLevel.Warning, Message = "consumer {Client}: consume error, continuing: {Reason}")]
    public static partial void ConsumeError(ILogger logger, string client, string reason);

    [LoggerMessage(EventId = LogEvents.KafkaConsumerFailed, Level = LogLevel.Error, Message = "consumer {Client} failed; its sources fail")]
    public static partial void ConsumerFailed(ILogger logger, string client, Exception exception);

    [LoggerMessage(EventId = LogEvents.KafkaCommitFailed, Level = LogLevel.Warning, Message = "consumer {Client}: commit of {Offsets} failed")]
    public static partial void CommitFailed(ILogger logger, string client, string offsets, Exception exception);

    [LoggerMessage(EventId = LogEvents.KafkaCommitRefusedDuringRebalance, Level = LogLevel.Information, Message = "consumer {Client}: commit of {Offsets} refused while the group rebalances ({Reason}); tried again in {RetryIn}, skipping partitions no longer assigned")]
    public static partial void CommitRefusedDuringRebalance(ILogger logger, string client, string offsets, string reason, TimeSpan retryIn);

    [LoggerMessage(EventId = LogEvents.KafkaCommitSlow, Level = LogLevel.Warning, Message = "consumer {Client}: commit of {Offsets} took {Elapsed}")]
    public static partial void CommitSlow(ILogger logger, string client, string offsets, TimeSpan elapsed);

    [LoggerMessage(EventId = LogEvents.KafkaCommitOfRevokedSkipped, Level = LogLevel.Information, Message = "consumer {Client}: offsets of partitions no longer assigned not committed: {Offsets}")]
    public static partial void CommitOfRevokedSkipped(ILogger logger, string client, string offsets);

    [LoggerMessage(EventId = LogEvents.KafkaPartitionHandlerSlow, Level = LogLevel.Warning, Message = "consumer {Client}: partition handler {Handler} still running after {Elapsed}")]
    public static partial void PartitionHandlerSlow(ILogger logger, string client, string handler, TimeSpan elapsed);

    [LoggerMessage(EventId = LogEvents.KafkaCloseFailed, Level = LogLevel.Warning, Message = "consumer {Client}: closing the consumer failed")]
    public static partial void CloseFailed(ILogger logger, string client, Exception exception);

    [LoggerMessage(EventId = LogEvents.KafkaClosed, Level = LogLevel.Information, Message = "consumer {Client}: closed")]
    public static partial void Closed(ILogger logger, string client);

    [LoggerMessage(EventId = LogEvents.KafkaClientError, Level = LogLevel.Warning, Message = "Kafka client {Client}: {Error}")]
    public static partial void ClientError(ILogger logger, string client, Error error);

    [LoggerMessage(EventId = LogEvents.KafkaDeliveryFailed, Level = LogLevel.Error, Message = "producer {Client}: delivery to {Topic} failed: {Reason}; the producer stage fails")]
    public static partial void DeliveryFailed(ILogger logger, string client, string topic, string reason);

    [LoggerMessage(EventId = LogEvents.KafkaProduceFailed, Level = LogLevel.Error, Message = "producer {Client}: send to {Topic} refused; the producer stage fails")]
    public static partial void ProduceFailed(ILogger logger, string client, string topic, Exception exception);

    [LoggerMessage(EventId = LogEvents.KafkaFlushIncomplete, Level = LogLevel.Warning, Message = "producer {Client}: {Outstanding} deliveries still outstanding after flush-timeout {Timeout}")]
    public static partial void FlushIncomplete(ILogger logger, string client, int outstanding, TimeSpan timeout);

    [LoggerMessage(EventId = LogEvents.KafkaOffsetReset, Level = LogLevel.Error, Message = "consumer {Client}: {Topic}/{Partition} was moved from offset {From} to {To} by the broker's answer, {Skipped} records passed over unread (deleted by retention before they were read?): {Line}")]
    public static partial void OffsetReset(ILogger logger, string client, string topic, int partition, long from, long to, long skipped, string line);

    [LoggerMessage(EventId = LogEvents.KafkaClientLog, Level = LogLevel.Warning, Message = "Kafka client {Client} ({Facility}): {Message}")]
    public static partial void ClientLog(ILogger logger, string client, string facility, string message);

    [LoggerMessage(EventId = LogEvents.KafkaLogEndProbeFailed, Level = LogLevel.Warning, Message = "log-end probe {Client}: no answer for {Partitions} partitions; idle partitions among them hold their watermark until one comes")]
    public static partial void LogEndProbeFailed(ILogger logger, string client, int partitions, Exception exception);

    [LoggerMessage(EventId = LogEvents.KafkaLogEndProbeTimedOut, Level = LogLevel.Warning, Message = "log-end probe {Client}: {Partitions} partitions not answered within {Timeout}; idle partitions among them hold their watermark until one comes")]
    public static partial void LogEndProbeTimedOut(ILogger logger, string client, int partitions, TimeSpan timeout, Exception exception);
}
