using Akka.Alerting.Events;
using Akka.Alerting.Kafka;
using Akka.Alerting.Service.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Akka.Alerting.Service.Pipeline;

/// <summary>
/// The alert application's pipeline: consume the events topic as a member of the alert consumer group →
/// decode (bad records to the dead-letter topic with the reason) → produce → commit. A batch's offsets are
/// committed only after everything it produced is acknowledged by Kafka, so a crash replays, never loses.
/// </summary>
public sealed partial class AlertPipeline
{
    private readonly AlertingSettings _settings;
    private readonly PipelineCounters _counters;
    private readonly TimeProvider _time;
    private readonly ILogger _log;
    private long _consumed;

    public AlertPipeline(AlertingSettings settings, PipelineCounters counters, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _settings = settings;
        _counters = counters;
        _time = time;
        _log = loggerFactory.CreateLogger<AlertPipeline>();
    }

    /// <summary>Records taken from the events topic so far (good and bad).</summary>
    public long Consumed => Interlocked.Read(ref _consumed);

    /// <summary>Waits until <paramref name="produced"/> records were consumed, or <paramref name="timeout"/> passes.</summary>
    public async Task WaitForCatchUpAsync(long produced, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (Consumed < produced && _time.GetUtcNow() < deadline)
        {
            await Task.Delay(TimeSpan.FromMilliseconds(50), _time, cancellationToken);
        }
    }

    /// <summary>
    /// Runs until cancelled; then finishes the batch in flight, flushes, commits and leaves the group.
    /// </summary>
    public Task RunAsync(CancellationToken cancellationToken) =>
        Task.Factory.StartNew(() => Run(cancellationToken), cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private void Run(CancellationToken cancellationToken)
    {
        var kafka = _settings.Kafka;
        var source = _settings.Sources[0];
        var decoder = new EventDecoder(source, _time);

        var consumerConfig = KafkaClients.ConsumerConfig(kafka.BootstrapServers, _settings.AlertGroupId, kafka.SessionTimeout, kafka.HeartbeatInterval);
        consumerConfig.ClientId = kafka.ClientId + "-alert";
        consumerConfig.FetchWaitMaxMs = (int)kafka.FetchMaxWait.TotalMilliseconds;
        var producerConfig = KafkaClients.ProducerConfig(kafka.BootstrapServers);
        producerConfig.ClientId = kafka.ClientId + "-alert";
        producerConfig.LingerMs = kafka.Linger.TotalMilliseconds;

        using var producer = KafkaClients.ProducerBuilder<byte[]?, byte[]>(producerConfig).Build();
        using var consumer = KafkaClients.ConsumerBuilder<byte[]?, byte[]>(consumerConfig).Build();
        consumer.Subscribe(source.Topic);
        var batch = new List<ConsumeResult<byte[]?, byte[]>>(_settings.AlertBatchSize);
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                batch.Clear();
                var first = Consume(consumer, TimeSpan.FromMilliseconds(100), cancellationToken);
                if (first is null)
                {
                    continue;
                }

                batch.Add(first);
                while (batch.Count < _settings.AlertBatchSize && Consume(consumer, TimeSpan.Zero, cancellationToken) is { } next)
                {
                    batch.Add(next);
                }

                ProcessBatch(batch, decoder, producer, kafka.Topics);
                Commit(consumer, producer, batch);
            }
        }
        finally
        {
            producer.Flush(TimeSpan.FromSeconds(10));
            consumer.Close();
        }
    }

    private ConsumeResult<byte[]?, byte[]>? Consume(IConsumer<byte[]?, byte[]> consumer, TimeSpan timeout, CancellationToken cancellationToken)
    {
        try
        {
            var result = consumer.Consume(timeout);
            return result is { IsPartitionEOF: false } ? result : null;
        }
        catch (ConsumeException ex) when (!ex.Error.IsFatal)
        {
            // A retriable fetch error can surface once (ENVIRONMENT.md): keep consuming.
            LogConsumeError(ex.Error.Reason);
            cancellationToken.ThrowIfCancellationRequested();
            return null;
        }
    }

    private void ProcessBatch(List<ConsumeResult<byte[]?, byte[]>> batch, EventDecoder decoder, IProducer<byte[]?, byte[]> producer, TopicSettings topics)
    {
        long good = 0, bad = 0;
        foreach (var record in batch)
        {
            var value = record.Message.Value ?? [];
            var origin = new RecordOrigin(record.Topic, record.Partition.Value, record.Offset.Value);
            var result = decoder.Decode(value, origin);
            if (result.IsOk)
            {
                good++;
                continue;
            }

            bad++;
            var dead = DeadLetterHeaders.ForDecodeFailure(record.Message.Key, value, origin, result);
            producer.Produce(topics.DeadLetter, ToMessage(dead));
        }

        Interlocked.Add(ref _consumed, batch.Count);
        _counters.AddEventsIn(good);
        _counters.AddDeadLetter(bad);
    }

    private static Message<byte[]?, byte[]> ToMessage(DeadLetterRecord record)
    {
        var headers = new Headers();
        foreach (var (name, value) in record.Headers)
        {
            headers.Add(name, value);
        }

        return new Message<byte[]?, byte[]> { Key = record.Key, Value = record.Value.ToArray(), Headers = headers };
    }

    private static void Commit(IConsumer<byte[]?, byte[]> consumer, IProducer<byte[]?, byte[]> producer, List<ConsumeResult<byte[]?, byte[]>> batch)
    {
        // Everything this batch produced must be acknowledged before its offsets are committed.
        producer.Flush(Timeout.InfiniteTimeSpan);
        var offsets = batch
            .GroupBy(r => r.TopicPartition)
            .Select(g => new TopicPartitionOffset(g.Key, g.Max(r => r.Offset.Value) + 1))
            .ToList();
        try
        {
            consumer.Commit(offsets);
        }
        catch (KafkaException ex) when (!ex.Error.IsFatal)
        {
            // A partition revoked during the batch: its new owner replays from the last commit.
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Warning, Message = "consume error, continuing: {Reason}")]
    private partial void LogConsumeError(string reason);
}
