using System.Globalization;
using Alerting.Kafka;
using Confluent.Kafka;

namespace Alerting.TestKit;

/// <summary>
/// Produce and read helpers for tests against any Kafka-protocol cluster (usually the embedded one),
/// with consumer-group timings that let rebalances settle in seconds on the embedded broker.
/// </summary>
public static class KafkaTestClients
{
    /// <summary>Session timeout for test consumer groups: the embedded broker rebalances in about this minus 1 s.</summary>
    public static readonly TimeSpan SessionTimeout = TimeSpan.FromSeconds(6);

    /// <summary>Heartbeat interval for test consumer groups.</summary>
    public static readonly TimeSpan HeartbeatInterval = TimeSpan.FromSeconds(1);

    /// <summary>A name no other test uses: <paramref name="prefix"/> followed by a random suffix.</summary>
    public static string UniqueName(string prefix) => prefix + "-" + Guid.NewGuid().ToString("N")[..12];

    /// <summary>The project's producer defaults (<see cref="KafkaClients.ProducerConfig"/>).</summary>
    public static ProducerConfig ProducerConfig(string bootstrapServers) => KafkaClients.ProducerConfig(bootstrapServers);

    /// <summary>The project's consumer defaults with test group timings (6 s session, 1 s heartbeat).</summary>
    public static ConsumerConfig ConsumerConfig(string bootstrapServers, string groupId) =>
        KafkaClients.ConsumerConfig(bootstrapServers, groupId, SessionTimeout, HeartbeatInterval);

    /// <summary>A string-keyed, string-valued producer with the project's defaults; errors are ignored (delivery reports carry them).</summary>
    public static IProducer<string, string> CreateProducer(string bootstrapServers, Action<ProducerConfig>? configure = null)
    {
        var config = ProducerConfig(bootstrapServers);
        configure?.Invoke(config);
        return KafkaClients.ProducerBuilder<string, string>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
    }

    /// <summary>A string-keyed, string-valued consumer group member with test timings.</summary>
    public static IConsumer<string, string> CreateConsumer(
        string bootstrapServers,
        string groupId,
        Action<ConsumerConfig>? configure = null,
        Action<IConsumer<string, string>, List<TopicPartition>>? onAssigned = null,
        Action<IConsumer<string, string>, List<TopicPartitionOffset>>? onRevoked = null)
    {
        var config = ConsumerConfig(bootstrapServers, groupId);
        configure?.Invoke(config);
        var builder = KafkaClients.ConsumerBuilder<string, string>(config)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { });
        if (onAssigned is not null)
        {
            builder.SetPartitionsAssignedHandler(onAssigned);
        }

        if (onRevoked is not null)
        {
            builder.SetPartitionsRevokedHandler(onRevoked);
        }

        return builder.Build();
    }

    /// <summary>
    /// Produces <paramref name="messages"/> to <paramref name="topic"/> in order with one producer and waits for
    /// every delivery report. Throws the first delivery error.
    /// </summary>
    public static async Task<IReadOnlyList<DeliveryResult<string, string>>> ProduceAsync(
        string bootstrapServers,
        string topic,
        IEnumerable<Message<string, string>> messages,
        CancellationToken cancellationToken)
    {
        using var producer = CreateProducer(bootstrapServers);
        var results = await ProduceAsync(producer, topic, messages, cancellationToken);
        producer.Flush(cancellationToken);
        return results;
    }

    /// <summary>
    /// Produces <paramref name="messages"/> through <paramref name="producer"/> and waits for every delivery report.
    /// Throws the first delivery error.
    /// </summary>
    public static async Task<IReadOnlyList<DeliveryResult<string, string>>> ProduceAsync(
        IProducer<string, string> producer,
        string topic,
        IEnumerable<Message<string, string>> messages,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentNullException.ThrowIfNull(messages);
        var pending = new List<TaskCompletionSource<DeliveryResult<string, string>>>();
        foreach (var message in messages)
        {
            var done = new TaskCompletionSource<DeliveryResult<string, string>>(TaskCreationOptions.RunContinuationsAsynchronously);
            pending.Add(done);
            ProduceOne(producer, topic, message, done, cancellationToken);
        }

        return await Task.WhenAll(pending.Select(p => p.Task)).WaitAsync(cancellationToken);
    }

    /// <summary>Messages <c>key-i</c> → <c>value-i</c> for i in [from, from + count), over <paramref name="keys"/> distinct keys.</summary>
    public static IEnumerable<Message<string, string>> Numbered(int count, int keys = 16, int from = 0) =>
        Enumerable.Range(from, count).Select(i => new Message<string, string>
        {
            Key = string.Create(CultureInfo.InvariantCulture, $"key-{i % keys}"),
            Value = string.Create(CultureInfo.InvariantCulture, $"value-{i}"),
        });

    /// <summary>
    /// Reads <paramref name="count"/> records of <paramref name="topic"/> from the beginning of every partition,
    /// without a consumer group (no join, no commit). Fails with <see cref="TimeoutException"/> if fewer arrive
    /// within <paramref name="timeout"/>, and keeps reading past transient consume errors.
    /// </summary>
    public static Task<IReadOnlyList<ConsumeResult<string, string>>> ReadAsync(
        string bootstrapServers,
        string topic,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken) =>
        OnOwnThread<IReadOnlyList<ConsumeResult<string, string>>>(() =>
        {
            var partitions = PartitionCount(bootstrapServers, topic);
            using var consumer = CreateConsumer(bootstrapServers, UniqueName("reader"));
            consumer.Assign(Enumerable.Range(0, partitions)
                .Select(p => new TopicPartitionOffset(topic, p, Offset.Beginning)));
            var read = ReadUntil(consumer, count, timeout, cancellationToken);
            consumer.Close();
            return read;
        }, cancellationToken);

    /// <summary>
    /// Runs blocking client work (a consume loop, a metadata call) on a thread of its own, never on a thread-pool thread:
    /// a spec that waits there for records while the service under test, in the same process, runs on the thread pool
    /// would take a pool thread for as long as it waits, and on a busy machine the pool adds threads only every few
    /// seconds. Several such waits at once starved the process's streams and actors for tens of seconds.
    /// </summary>
    public static Task<T> OnOwnThread<T>(Func<T> work, CancellationToken cancellationToken) =>
        Task.Factory.StartNew(work, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    /// <summary><see cref="ReadUntil"/> on a thread of its own (see <see cref="OnOwnThread{T}"/>).</summary>
    public static Task<List<ConsumeResult<string, string>>> ReadUntilAsync(
        IConsumer<string, string> consumer,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken) =>
        OnOwnThread(() => ReadUntil(consumer, count, timeout, cancellationToken), cancellationToken);

    /// <summary>
    /// Consumes from <paramref name="consumer"/> until <paramref name="count"/> records arrived, polling in short
    /// steps. Fails with <see cref="TimeoutException"/> if fewer arrive within <paramref name="timeout"/>.
    /// </summary>
    public static List<ConsumeResult<string, string>> ReadUntil(
        IConsumer<string, string> consumer,
        int count,
        TimeSpan timeout,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(consumer);
        var read = new List<ConsumeResult<string, string>>(count);
        var deadline = DateTime.UtcNow + timeout;
        while (read.Count < count)
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException(string.Create(CultureInfo.InvariantCulture,
                    $"read {read.Count} of {count} records within {timeout}"));
            }

            try
            {
                var result = consumer.Consume(TimeSpan.FromMilliseconds(100));
                if (result is not null && !result.IsPartitionEOF)
                {
                    read.Add(result);
                }
            }
            catch (ConsumeException)
            {
                // A retriable fetch error can surface once; the consumer recovers on the next poll.
            }
        }

        return read;
    }

    /// <summary>The number of partitions of <paramref name="topic"/>, from cluster metadata.</summary>
    public static int PartitionCount(string bootstrapServers, string topic)
    {
        using var admin = KafkaClients.AdminClientBuilder(new AdminClientConfig { BootstrapServers = bootstrapServers })
            .SetLogHandler((_, _) => { })
            .Build();
        var metadata = admin.GetMetadata(topic, TimeSpan.FromSeconds(10));
        var topicMetadata = metadata.Topics.Single(t => t.Topic == topic);
        if (topicMetadata.Error.IsError)
        {
            throw new KafkaException(topicMetadata.Error);
        }

        return topicMetadata.Partitions.Count;
    }

    private static void ProduceOne(
        IProducer<string, string> producer,
        string topic,
        Message<string, string> message,
        TaskCompletionSource<DeliveryResult<string, string>> done,
        CancellationToken cancellationToken)
    {
        while (true)
        {
            try
            {
                producer.Produce(topic, message, report =>
                {
                    if (report.Error.IsError)
                    {
                        done.TrySetException(new ProduceException<string, string>(report.Error, report));
                    }
                    else
                    {
                        done.TrySetResult(report);
                    }
                });
                return;
            }
            catch (ProduceException<string, string> e) when (e.Error.Code == ErrorCode.Local_QueueFull)
            {
                producer.Poll(TimeSpan.FromMilliseconds(50));
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }
}
