using System.Globalization;
using System.Text;
using Alerting.Dispatch.Messages;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.IntegrationTests;

/// <summary>What the pipeline specs write to and read from the embedded broker: seed-shaped events, alerts, dead letters.</summary>
internal static class EventTopics
{
    /// <summary>A seed-shaped device event.</summary>
    public static string Json(string kind, int code, DateTimeOffset time, string id, string device) => string.Create(
        CultureInfo.InvariantCulture,
        $$"""{"Message":"{{kind}}","Param":{"ErrCode":{{code}},"Timestamp":"{{time.ToString("O", CultureInfo.InvariantCulture)}}","ID":"{{id}}"},"DeviceNumber":{{device}}}""");

    /// <summary>Produces the records to the events topic keyed by device (those with a partition to it); returns each partition's end offset.</summary>
    public static async Task<IReadOnlyDictionary<int, long>> ProduceAsync(
        AlertingSettings settings, IEnumerable<(string Device, string Json, int? Partition)> records, CancellationToken cancellationToken)
    {
        using var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(KafkaClients.ProducerConfig(settings.Kafka.BootstrapServers)).Build();
        var ends = new Dictionary<int, long>();
        foreach (var (device, json, partition) in records)
        {
            var message = new Message<byte[]?, byte[]> { Key = Encoding.UTF8.GetBytes(device), Value = Encoding.UTF8.GetBytes(json) };
            var result = partition is { } p
                ? await producer.ProduceAsync(new TopicPartition(settings.Kafka.Topics.Events, p), message, cancellationToken)
                : await producer.ProduceAsync(settings.Kafka.Topics.Events, message, cancellationToken);
            ends[result.Partition.Value] = Math.Max(ends.GetValueOrDefault(result.Partition.Value), result.Offset.Value + 1);
        }

        return ends;
    }

    /// <summary>Every alert record of the alerts topic, read from the beginning of each partition to its end.</summary>
    public static List<AlertMessage> ReadAlerts(AlertingSettings settings, int partitions, CancellationToken cancellationToken) =>
        [.. ReadRecords(settings, settings.Kafka.Topics.Alerts, partitions, cancellationToken)
            .Select(r => DispatchJson.ParseAlert(Encoding.UTF8.GetString(r.Value)) ?? throw new InvalidOperationException("not an alert record"))];

    /// <summary>
    /// Every record of a topic, read from the beginning of each partition to its end, with the source partition and
    /// offset its headers name (dead-letter records; -1 where absent).
    /// </summary>
    public static List<(byte[] Value, int Partition, long SourceOffset)> ReadRecords(AlertingSettings settings, string topic, int partitions, CancellationToken cancellationToken) =>
        [.. ReadMessages(settings, topic, partitions, cancellationToken).Select(m =>
        {
            var partition = Header(m, DeadLetterHeaders.SourcePartition) is { } p ? int.Parse(p, CultureInfo.InvariantCulture) : -1;
            var offset = Header(m, DeadLetterHeaders.SourceOffset) is { } o ? long.Parse(o, CultureInfo.InvariantCulture) : -1;
            return (m.Value, partition, offset);
        })];

    /// <summary>Every message of a topic (value and headers), read from the beginning of each partition to its end.</summary>
    public static List<Message<byte[]?, byte[]>> ReadMessages(AlertingSettings settings, string topic, int partitions, CancellationToken cancellationToken)
    {
        var config = KafkaClients.ConsumerConfig(settings.Kafka.BootstrapServers, "reader-" + Guid.NewGuid().ToString("N"), settings.Kafka.SessionTimeout, settings.Kafka.HeartbeatInterval);
        config.EnablePartitionEof = true;
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(config).Build();
        consumer.Assign(Enumerable.Range(0, partitions).Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
        var messages = new List<Message<byte[]?, byte[]>>();
        var finished = new HashSet<int>();
        while (finished.Count < partitions)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var result = consumer.Consume(TimeSpan.FromMilliseconds(200));
            if (result is null)
            {
                continue;
            }

            if (result.IsPartitionEOF)
            {
                finished.Add(result.Partition.Value);
                continue;
            }

            messages.Add(result.Message);
        }

        consumer.Close();
        return messages;
    }

    /// <summary>The last value of a header as UTF-8 text; null when the message does not carry it.</summary>
    public static string? Header(Message<byte[]?, byte[]> message, string name) =>
        message.Headers?.TryGetLastBytes(name, out var bytes) == true ? Encoding.UTF8.GetString(bytes) : null;
}
