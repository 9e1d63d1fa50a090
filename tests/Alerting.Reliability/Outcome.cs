using System.Text;
using Alerting.Dispatch.Messages;
using Alerting.Kafka;
using Confluent.Kafka;

namespace Alerting.Reliability;

/// <summary>One record read back from a topic.</summary>
public sealed record TopicRecord(string? Key, byte[] Value, Headers Headers, DateTime Timestamp, int Partition, long Offset)
{
    public string Text => Encoding.UTF8.GetString(Value);

    public string? Header(string name) => Headers.TryGetLastBytes(name, out var v) ? Encoding.UTF8.GetString(v) : null;
}

/// <summary>Reads topics back and counts what the service delivered against what was expected.</summary>
public static class Outcome
{
    /// <summary>Every record of <paramref name="topic"/> up to its current end, from every partition.</summary>
    public static List<TopicRecord> ReadAll(string bootstrap, string topic)
    {
        var config = KafkaClients.ConsumerConfig(bootstrap, "reliability-reader-" + Guid.NewGuid().ToString("N"));
        config.FetchMaxBytes = 8 * 1024 * 1024;
        using var consumer = KafkaClients.ConsumerBuilder<string?, byte[]>(config).Build();
        using var admin = KafkaClients.AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrap }).Build();
        var partitions = admin.GetMetadata(topic, TimeSpan.FromSeconds(10)).Topics.Single().Partitions.Select(p => new TopicPartition(topic, p.PartitionId)).ToList();
        var ends = partitions.ToDictionary(p => p.Partition.Value, p => consumer.QueryWatermarkOffsets(p, TimeSpan.FromSeconds(10)).High.Value);
        var records = new List<TopicRecord>();
        var open = ends.Where(e => e.Value > 0).Select(e => e.Key).ToHashSet();
        consumer.Assign(partitions.Where(p => open.Contains(p.Partition.Value)).Select(p => new TopicPartitionOffset(p, Offset.Beginning)));
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (open.Count > 0 && DateTime.UtcNow < deadline)
        {
            var r = consumer.Consume(TimeSpan.FromMilliseconds(500));
            if (r is null || r.IsPartitionEOF)
            {
                continue;
            }

            records.Add(new TopicRecord(r.Message.Key, r.Message.Value ?? [], r.Message.Headers ?? [], r.Message.Timestamp.UtcDateTime, r.Partition.Value, r.Offset.Value));
            if (r.Offset.Value + 1 >= ends[r.Partition.Value])
            {
                open.Remove(r.Partition.Value);
            }
        }

        consumer.Close();
        return records;
    }

    /// <summary>
    /// Counts of the alerts topic (Generates) and the dispatch topic (dispatches) against one Generate and one
    /// dispatch per expected device.
    /// </summary>
    public static Counts Count(string bootstrap, IReadOnlySet<string> expectedDevices)
    {
        var alerts = ReadAll(bootstrap, "alerts")
            .Select(r => (Record: r, Message: DispatchJson.ParseAlert(r.Text)))
            // The bad-input scenario's own alert records (ids "bad-…") are input, not output.
            .Where(a => a.Message is { Kind: AlertKind.Generate } && !a.Message.AlertId.StartsWith("bad-", StringComparison.Ordinal))
            .Select(a => (a.Record, Id: a.Message!.AlertId, Device: a.Message.DeviceNumber)).ToList();
        var dispatches = ReadAll(bootstrap, "dispatch")
            .Select(r => (Record: r, Message: DispatchJson.ParseDispatch(r.Text)))
            .Where(d => d.Message is { Kind: DispatchKind.Dispatch })
            .Select(d => (d.Record, Id: d.Message!.DispatchId, Device: d.Message.DeviceId)).ToList();
        return new Counts(Side(alerts, expectedDevices), Side(dispatches, expectedDevices),
            alerts.GroupBy(a => a.Id).ToDictionary(g => g.Key, g => g.Min(a => a.Record.Timestamp)),
            alerts.Select(a => (a.Device, a.Id)).Distinct().ToList());
    }

    private static SideCounts Side(List<(TopicRecord Record, string Id, string Device)> records, IReadOnlySet<string> expected)
    {
        var byId = records.GroupBy(r => r.Id).ToList();
        var devices = records.Select(r => r.Device).ToHashSet(StringComparer.Ordinal);
        return new SideCounts(
            Expected: expected.Count,
            DistinctDelivered: byId.Count,
            Lost: expected.Count(d => !devices.Contains(d)),
            RawDuplicates: records.Count - byId.Count,
            DuplicateIdsWithDifferentContent: byId.Count(g => g.Select(r => Convert.ToBase64String(r.Record.Value)).Distinct().Count() > 1),
            Unexpected: devices.Count(d => !expected.Contains(d)),
            LostSample: [.. expected.Where(d => !devices.Contains(d)).Order(StringComparer.Ordinal).Take(5)]);
    }

    /// <summary>
    /// Where the input of <paramref name="devices"/> went: each record keyed by one of them on the events, late and
    /// dead-letter topics (topic, partition, offset, record time, value), for a lost device's trace in the log.
    /// </summary>
    public static List<string> Trace(string bootstrap, IReadOnlyCollection<string> devices)
    {
        var lines = new List<string>();
        foreach (var topic in new[] { "device-events", "device-events-late", "device-events-dead-letter", "alerts" })
        {
            foreach (var r in ReadAll(bootstrap, topic).Where(r => r.Key is not null && devices.Contains(r.Key)))
            {
                lines.Add($"{topic}[{r.Partition}]@{r.Offset} {r.Timestamp:HH:mm:ss.fff} key {r.Key}: {(r.Text.Length > 300 ? r.Text[..300] : r.Text)}");
            }
        }

        return lines;
    }

    /// <summary>Waits until every expected device has its alert and its dispatch, or <paramref name="timeout"/> passes.</summary>
    public static async Task<Counts> AwaitAsync(string bootstrap, IReadOnlySet<string> expectedDevices, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            var counts = Count(bootstrap, expectedDevices);
            if ((counts.Alerts.Lost == 0 && counts.Dispatches.Lost == 0) || DateTime.UtcNow >= deadline)
            {
                return counts;
            }

            await Task.Delay(1000, cancellationToken);
        }
    }
}

public sealed record SideCounts(int Expected, int DistinctDelivered, int Lost, int RawDuplicates, int DuplicateIdsWithDifferentContent, int Unexpected, IReadOnlyList<string> LostSample);

public sealed record Counts(SideCounts Alerts, SideCounts Dispatches, IReadOnlyDictionary<string, DateTime> FirstSeen, IReadOnlyList<(string Device, string Id)> AlertIds);
