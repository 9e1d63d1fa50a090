using Alerting.Kafka;
using Alerting.Service.Settings;
using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace Alerting.Service.Operations;

/// <summary>How far a consumer group is behind on one partition.</summary>
/// <param name="Group">The consumer group.</param>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="Committed">The group's committed offset; null when it has committed none.</param>
/// <param name="High">The partition's high watermark (the next offset to be written).</param>
/// <param name="Lag">Records not yet committed: high − committed (high − low when nothing is committed).</param>
public sealed record PartitionLag(string Group, string Topic, int Partition, long? Committed, long High, long Lag);

/// <summary>
/// Reads consumer lag from Kafka itself: the group's committed offsets (OffsetFetch, without joining the group) against
/// each partition's earliest and latest offsets. Offsets are committed after a checkpoint (alert application) or once
/// the entities persisted (dispatcher), so the lag counts what a restart would read again, not only what is unread.
/// <para>
/// One admin client serves every read for the reader's lifetime (built at the first read, again only when the Kafka
/// settings change): a metrics scrape costs one metadata request and three batched requests per group, not new
/// clients with their connections and authentication each time. Thread-safe; dispose it with the node.
/// </para>
/// </summary>
public sealed class KafkaLagReader : IDisposable
{
    private readonly Lock _gate = new();
    private IAdminClient? _admin;
    private KafkaSettings? _adminFor;
    private bool _disposed;

    /// <summary>Admin clients built so far.</summary>
    public int ClientsBuilt { get; private set; }

    /// <summary>The lag of the consumer groups of the applications <paramref name="parts"/> runs, group by group.</summary>
    /// <exception cref="KafkaException">Kafka could not be asked within <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<PartitionLag>> ReadNodeAsync(NodeParts parts, AlertingSettings settings, KafkaSettings kafka, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(parts);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(kafka);
        var result = new List<PartitionLag>();
        if (parts.Applications.Contains("alert"))
        {
            result.AddRange(await ReadAsync(kafka, settings.AlertGroupId, [.. settings.Sources.Select(s => s.Topic).Distinct(StringComparer.Ordinal)], timeout, cancellationToken));
        }

        if (parts.Applications.Contains("dispatch"))
        {
            result.AddRange(await ReadAsync(kafka, settings.Dispatch.GroupId, [kafka.Topics.Alerts, kafka.Topics.WorkOrders], timeout, cancellationToken));
        }

        return result;
    }

    /// <summary>The lag of <paramref name="group"/> on every partition of <paramref name="topics"/>, in topic and partition order.</summary>
    /// <exception cref="KafkaException">Kafka could not be asked within <paramref name="timeout"/>.</exception>
    public async Task<IReadOnlyList<PartitionLag>> ReadAsync(KafkaSettings kafka, string group, IReadOnlyCollection<string> topics, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(kafka);
        ArgumentNullException.ThrowIfNull(group);
        ArgumentNullException.ThrowIfNull(topics);
        if (topics.Count == 0)
        {
            return [];
        }

        var admin = Admin(kafka);
        // the metadata call blocks its thread for up to the timeout: a thread of its own, not one of the pool's
        var metadata = await Task.Factory.StartNew(() => admin.GetMetadata(timeout), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        List<TopicPartition> partitions = [.. metadata.Topics
            .Where(t => topics.Contains(t.Topic, StringComparer.Ordinal) && !t.Error.IsError)
            .SelectMany(t => t.Partitions.Select(p => new TopicPartition(t.Topic, new Partition(p.PartitionId))))
            .OrderBy(tp => tp.Topic, StringComparer.Ordinal).ThenBy(tp => tp.Partition.Value)];
        if (partitions.Count == 0)
        {
            return [];
        }

        var committedTask = admin.ListConsumerGroupOffsetsAsync(
            [new ConsumerGroupTopicPartitions(group, partitions)],
            new ListConsumerGroupOffsetsOptions { RequestTimeout = timeout });
        var options = new ListOffsetsOptions { RequestTimeout = timeout };
        var latestTask = ListedOffsets.ListAsync(admin, partitions, OffsetSpec.Latest(), options);
        var earliestTask = ListedOffsets.ListAsync(admin, partitions, OffsetSpec.Earliest(), options);
        await Task.WhenAll(committedTask, latestTask, earliestTask).WaitAsync(cancellationToken); // every failure observed
        var committed = committedTask.Result.Single().Partitions.ToDictionary(p => p.TopicPartition, p => p.Offset);
        var (latest, earliest) = (latestTask.Result, earliestTask.Result);

        var result = new List<PartitionLag>(partitions.Count);
        foreach (var tp in partitions)
        {
            if (!latest.TryGetValue(tp, out var high))
            {
                continue; // the leader gave no offset (ListOffsets fails outright on an error): no row rather than a made-up one
            }

            long? at = committed.TryGetValue(tp, out var offset) && offset.Value >= 0 ? offset.Value : null;
            var lag = Math.Max(0, high - (at ?? earliest.GetValueOrDefault(tp)));
            result.Add(new PartitionLag(group, tp.Topic, tp.Partition.Value, at, high, lag));
        }

        return result;
    }

    public void Dispose()
    {
        IAdminClient? admin;
        lock (_gate)
        {
            _disposed = true;
            (admin, _admin) = (_admin, null);
        }

        admin?.Dispose();
    }

    private IAdminClient Admin(KafkaSettings kafka)
    {
        IAdminClient? replaced = null;
        try
        {
            lock (_gate)
            {
                ObjectDisposedException.ThrowIf(_disposed, this);
                if (_admin is null || !Equals(_adminFor, kafka))
                {
                    replaced = _admin;
                    _admin = KafkaClients.AdminClientBuilder(kafka.AdminConfig("lag")).Build();
                    _adminFor = kafka;
                    ClientsBuilt++;
                }

                return _admin;
            }
        }
        finally
        {
            replaced?.Dispose(); // a read still using it fails and is retried at the next scrape
        }
    }
}
