using System.Globalization;
using System.Text;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.Service.Operations;

/// <summary>A record of the dead-letter topic as the admin API shows it.</summary>
/// <param name="Partition">Its partition in the dead-letter topic.</param>
/// <param name="Offset">Its offset there.</param>
/// <param name="Timestamp">When it was dead-lettered.</param>
/// <param name="Key">The original key (UTF-8), if any.</param>
/// <param name="Reason">The <c>alerting-reason</c> header.</param>
/// <param name="Message">The <c>alerting-message</c> header.</param>
/// <param name="SourceTopic">Where the original record was read.</param>
/// <param name="SourcePartition">Its partition.</param>
/// <param name="SourceOffset">Its offset.</param>
/// <param name="Value">The original value as UTF-8 text (invalid bytes replaced).</param>
public sealed record DeadLetterView(
    int Partition, long Offset, DateTimeOffset Timestamp, string? Key, string Reason, string? Message,
    string? SourceTopic, int? SourcePartition, long? SourceOffset, string Value);

/// <summary>What a replay did.</summary>
/// <param name="Replayed">Records re-published to their source topic.</param>
/// <param name="SkippedCut">Records left out because they were cut when dead-lettered (larger than the dead-letter limit).</param>
/// <param name="SkippedNoSource">Records left out because they name no source topic.</param>
public sealed record DeadLetterReplay(int Replayed, int SkippedCut, int SkippedNoSource);

/// <summary>
/// Reads and replays the dead-letter topic. Reading assigns every partition from its low watermark up to the high
/// watermark seen at the start (no consumer group is joined, nothing is committed). Replay re-publishes the records of
/// one reason to the topic they were read from, key, value and headers as they were plus
/// <c>alerting-replayed-from</c> (dead-letter topic/partition/offset): run it once the cause is fixed (a mapping,
/// a producer). Records still bad go to the dead-letter topic again.
/// </summary>
public static class DeadLetterQueue
{
    /// <summary>Header a replayed record carries: the dead-letter record it came from.</summary>
    public const string ReplayedFrom = "alerting-replayed-from";

    /// <summary>The last <paramref name="count"/> records (of <paramref name="reason"/> when given), oldest first.</summary>
    public static IReadOnlyList<DeadLetterView> Tail(KafkaSettings kafka, string? reason, int count, TimeSpan timeout)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        var tail = new Queue<DeadLetterView>();
        foreach (var record in Read(kafka, timeout))
        {
            var view = View(record);
            if (reason is null || view.Reason == reason)
            {
                tail.Enqueue(view);
                if (tail.Count > count)
                {
                    tail.Dequeue();
                }
            }
        }

        return [.. tail.OrderBy(v => v.Timestamp).ThenBy(v => v.Partition).ThenBy(v => v.Offset)];
    }

    /// <summary>
    /// Re-publishes every record of <paramref name="reason"/> to its source topic. Left out: a record that was cut when it
    /// was dead-lettered (it carries <see cref="DeadLetterHeaders.OriginalSize"/>: its bytes are not the original's, so
    /// replaying them would publish a different record), and one without a source topic.
    /// </summary>
    public static async Task<DeadLetterReplay> ReplayAsync(KafkaSettings kafka, string reason, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentException.ThrowIfNullOrEmpty(reason);
        var records = Read(kafka, timeout).Where(r => Header(r.Message.Headers, DeadLetterHeaders.Reason) == reason).ToList();
        if (records.Count == 0)
        {
            return new DeadLetterReplay(0, 0, 0);
        }

        using var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(kafka.ProducerConfig("dlq-replay")).Build();
        int replayed = 0, cut = 0, sourceless = 0;
        foreach (var record in records)
        {
            if (Header(record.Message.Headers, DeadLetterHeaders.OriginalSize) is { Length: > 0 })
            {
                cut++;
                continue;
            }

            if (Header(record.Message.Headers, DeadLetterHeaders.SourceTopic) is not { Length: > 0 } source)
            {
                sourceless++;
                continue; // no source to return it to
            }

            var headers = new Headers();
            foreach (var h in record.Message.Headers)
            {
                headers.Add(h.Key, h.GetValueBytes());
            }

            headers.Add(ReplayedFrom, Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"{record.Topic}/{record.Partition.Value}/{record.Offset.Value}")));
            await producer.ProduceAsync(source, new Message<byte[]?, byte[]> { Key = record.Message.Key, Value = record.Message.Value ?? [], Headers = headers }, cancellationToken);
            replayed++;
        }

        producer.Flush(cancellationToken);
        return new DeadLetterReplay(replayed, cut, sourceless);
    }

    private static List<ConsumeResult<byte[]?, byte[]?>> Read(KafkaSettings kafka, TimeSpan timeout)
    {
        var topic = kafka.Topics.DeadLetter;
        var config = kafka.ConsumerConfig("alerting-admin-dlq-" + Guid.NewGuid().ToString("N"), "dlq");
        config.EnableAutoCommit = false;
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]?>(config).Build();
        var records = new List<ConsumeResult<byte[]?, byte[]?>>();
        try
        {
            List<TopicPartition> partitions;
            using (var admin = KafkaClients.AdminClientBuilder(kafka.AdminConfig("dlq")).Build())
            {
                var metadata = admin.GetMetadata(topic, timeout);
                partitions = [.. metadata.Topics.Where(t => t.Topic == topic && !t.Error.IsError)
                    .SelectMany(t => t.Partitions.Select(p => new TopicPartition(topic, new Partition(p.PartitionId))))];
            }

            var ends = new Dictionary<int, long>();
            var starts = new List<TopicPartitionOffset>();
            foreach (var tp in partitions)
            {
                var w = consumer.QueryWatermarkOffsets(tp, timeout);
                if (w.High.Value > w.Low.Value)
                {
                    ends[tp.Partition.Value] = w.High.Value;
                    starts.Add(new TopicPartitionOffset(tp, w.Low));
                }
            }

            if (starts.Count == 0)
            {
                return records;
            }

            consumer.Assign(starts);
            var deadline = DateTime.UtcNow + timeout;
            while (ends.Count > 0 && DateTime.UtcNow < deadline)
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
                if (result is null || result.IsPartitionEOF)
                {
                    continue;
                }

                var p = result.Partition.Value;
                if (ends.TryGetValue(p, out var end))
                {
                    if (result.Offset.Value < end)
                    {
                        records.Add(result);
                    }

                    if (result.Offset.Value + 1 >= end)
                    {
                        ends.Remove(p);
                    }
                }
            }

            return ends.Count == 0
                ? records
                : throw new TimeoutException($"the dead-letter topic {topic} was not read to its end within {timeout}");
        }
        finally
        {
            consumer.Close();
        }
    }

    private static DeadLetterView View(ConsumeResult<byte[]?, byte[]?> r)
    {
        var headers = r.Message.Headers;
        return new DeadLetterView(
            r.Partition.Value,
            r.Offset.Value,
            r.Message.Timestamp.UtcDateTime,
            r.Message.Key is { } key ? Encoding.UTF8.GetString(key) : null,
            Header(headers, DeadLetterHeaders.Reason) ?? "unknown",
            Header(headers, DeadLetterHeaders.Message),
            Header(headers, DeadLetterHeaders.SourceTopic),
            int.TryParse(Header(headers, DeadLetterHeaders.SourcePartition), NumberStyles.Integer, CultureInfo.InvariantCulture, out var sp) ? sp : null,
            long.TryParse(Header(headers, DeadLetterHeaders.SourceOffset), NumberStyles.Integer, CultureInfo.InvariantCulture, out var so) ? so : null,
            r.Message.Value is { } value ? Encoding.UTF8.GetString(value) : "");
    }

    private static string? Header(Headers? headers, string name) =>
        headers is not null && headers.TryGetLastBytes(name, out var bytes) ? Encoding.UTF8.GetString(bytes) : null;
}
