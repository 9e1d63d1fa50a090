using Akka;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Hosting;
using Alerting.Events;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Confluent.Kafka;
using Microsoft.Extensions.Logging;

namespace Alerting.Dispatch.Sharding;

/// <summary>
/// Delivers the alerts and work-order topics to the device shard region:
/// <c>CommittablePartitionedSource(alerts, work-orders)</c> → per partition: (an alerts partition first locates its
/// shard on this node, <see cref="KafkaShardAllocation"/>) read each record (<see cref="DispatchRecords"/>) → ask the
/// region with the device's command, <see cref="DispatchShardingSettings.Parallelism"/> at a time, in order → the
/// merged partitions go through one producer (<see cref="KafkaProducer.FlexiFlow{TKey,TValue,TPassThrough}"/>) that
/// writes the dead letters, with their reason, to the dead-letter topic and passes the other offsets through →
/// <see cref="Committer"/>. An offset is committed only once its entity acknowledged the command (its events
/// persisted) or its dead letter is acknowledged by Kafka, and every record before it in its partition is too.
/// <para>Failures: a command whose events the journal rejected (<see cref="DeviceCommandFailed.Rejected"/>: they can
/// never be stored) goes to the dead-letter topic with reason <see cref="DispatchRecords.PersistRejected"/>. A command
/// its entity answers with another <see cref="DeviceCommandFailed"/> (its journal write failed and the entity
/// stopped) is sent again in its place after a growing backoff
/// (<see cref="DispatchShardingSettings.RetryBackoff"/>), each retry logged and counted. After
/// <see cref="DispatchShardingSettings.MaxAttempts"/> such attempts, or when a command is not acknowledged within
/// <see cref="DispatchShardingSettings.AskTimeout"/> (its node left: the delivery starts again with a new consumer and
/// shard locations), or on a failed commit or produce, or a consumer error, the graph fails, which is logged and restarted with backoff from the committed offsets (at-least-once into entities that
/// recognise repeats by alert id). More than <see cref="DispatchShardingSettings.MaxRestarts"/> failures within
/// <see cref="DispatchShardingSettings.MaxRestartsWithin"/> fault <see cref="Completion"/>.</para>
/// </summary>
public sealed class DispatchDelivery
{
    private const int MergeBreadth = 4096;

    private readonly IActorRef _region;
    private readonly KafkaShardAllocation _allocation;
    private readonly DispatchSettings _topics;
    private readonly DispatchShardingSettings _settings;
    private readonly ConsumerSettings<string, string> _consumer;
    private readonly ProducerSettings<string, string> _producer;
    private readonly CommitterSettings _committer;
    private readonly DispatchCounters _counters;
    private readonly ILogger _logger;
    private readonly Lock _gate = new();
    private readonly Dictionary<int, int> _assigned = [];
    private IControl? _control;
    private bool _stopping;
    private UniqueKillSwitch? _killSwitch;

    private DispatchDelivery(
        IActorRef region,
        KafkaShardAllocation allocation,
        DispatchSettings topics,
        DispatchShardingSettings settings,
        ConsumerSettings<string, string> consumer,
        ProducerSettings<string, string> producer,
        CommitterSettings committer,
        DispatchCounters counters,
        ILogger logger)
    {
        _region = region;
        _allocation = allocation;
        _topics = topics;
        _settings = settings;
        _consumer = consumer;
        _producer = producer;
        _committer = committer;
        _counters = counters;
        _logger = logger;
    }

    /// <summary>The alerts partitions this node reads now (their sub-sources are running).</summary>
    public IReadOnlyList<int> AssignedAlertsPartitions
    {
        get
        {
            lock (_gate)
            {
                return [.. _assigned.Keys.Order()];
            }
        }
    }

    /// <summary>Completes once the delivery stopped after <see cref="StopAsync"/>; faults when it gave up restarting.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>Starts delivering.</summary>
    /// <param name="system">The node's ActorSystem.</param>
    /// <param name="region">The device shard region.</param>
    /// <param name="allocation">Locates the shards of assigned alerts partitions on this node.</param>
    /// <param name="topics">The alerts, work-order and dead-letter topics.</param>
    /// <param name="settings">Parallelism, limits, ask timeout, restarts.</param>
    /// <param name="consumer">The consumer (bootstrap servers, group, client properties).</param>
    /// <param name="producer">The dead-letter producer.</param>
    /// <param name="committer">Commit batching.</param>
    /// <param name="counters">Counts received, malformed and dead-lettered records.</param>
    /// <param name="logger">Where failures and restarts are logged.</param>
    public static DispatchDelivery Start(
        ActorSystem system,
        IActorRef region,
        KafkaShardAllocation allocation,
        DispatchSettings topics,
        DispatchShardingSettings settings,
        ConsumerSettings<string, string> consumer,
        ProducerSettings<string, string> producer,
        CommitterSettings committer,
        DispatchCounters counters,
        ILogger logger)
    {
        ArgumentNullException.ThrowIfNull(system);
        var delivery = new DispatchDelivery(
            region ?? throw new ArgumentNullException(nameof(region)),
            allocation ?? throw new ArgumentNullException(nameof(allocation)),
            topics ?? throw new ArgumentNullException(nameof(topics)),
            settings ?? throw new ArgumentNullException(nameof(settings)),
            consumer ?? throw new ArgumentNullException(nameof(consumer)),
            producer ?? throw new ArgumentNullException(nameof(producer)),
            committer ?? throw new ArgumentNullException(nameof(committer)),
            counters ?? throw new ArgumentNullException(nameof(counters)),
            logger ?? throw new ArgumentNullException(nameof(logger)));
        var restart = RestartSettings.Create(settings.RestartMinBackoff, settings.RestartMaxBackoff, 0.2)
            .WithMaxRestarts(settings.MaxRestarts, settings.MaxRestartsWithin);
        var (killSwitch, done) = RestartSource.OnFailuresWithBackoff(delivery.Graph, restart)
            .ViaMaterialized(KillSwitches.Single<ICommittableOffsetBatch>(), Keep.Right)
            .ToMaterialized(Sink.Ignore<ICommittableOffsetBatch>(), Keep.Both)
            .Run(system.Materializer());
        delivery._killSwitch = killSwitch;
        delivery.Completion = done;
        return delivery;
    }

    /// <summary>
    /// Stops taking records, lets what is in flight be acknowledged and committed (bounded by
    /// <paramref name="timeout"/>), then closes the consumer (it leaves the group).
    /// </summary>
    public async Task StopAsync(TimeSpan timeout)
    {
        IControl? control;
        lock (_gate)
        {
            _stopping = true;
            control = _control;
        }
        if (control is not null)
        {
            await control.Stop().ConfigureAwait(false);
            await Task.WhenAny(Completion, Task.Delay(timeout)).ConfigureAwait(false);
        }
        _killSwitch?.Shutdown();
        if (control is not null)
        {
            await control.Shutdown().ConfigureAwait(false);
        }
        await Completion.ConfigureAwait(false);
    }

    /// <summary>One incarnation of the delivery graph (a new consumer each restart).</summary>
    private Source<ICommittableOffsetBatch, NotUsed> Graph()
    {
        var alerts = _topics.AlertsTopic;
        return KafkaConsumer.CommittablePartitionedSource(_consumer, Subscriptions.Topics(_topics.AlertsTopic, _topics.WorkOrdersTopic))
            .MapMaterializedValue(control =>
            {
                bool stopping;
                lock (_gate)
                {
                    _control = control;
                    stopping = _stopping;
                }
                if (stopping)
                {
                    _ = control.Shutdown();
                }
                return NotUsed.Instance;
            })
            .MergeMany<(TopicPartition, Source<CommittableMessage<string, string>, NotUsed>), IEnvelope<string, string, ICommittable>, NotUsed>(
                MergeBreadth, pair => Partition(pair.Item1, pair.Item2, string.Equals(pair.Item1.Topic, alerts, StringComparison.Ordinal)))
            .Via(KafkaProducer.FlexiFlow<string, string, ICommittable>(_producer))
            .Select(result => result.PassThrough)
            .Via(Committer.BatchFlow(_committer))
            .WatchTermination((_, done) =>
            {
                done.ContinueWith(
                    t => ShardingLog.DeliveryFailed(_logger, t.Exception!.GetBaseException(), _settings.RestartMinBackoff),
                    CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted, TaskScheduler.Default);
                return NotUsed.Instance;
            });
    }

    private Source<IEnvelope<string, string, ICommittable>, NotUsed> Partition(
        TopicPartition partition, Source<CommittableMessage<string, string>, NotUsed> records, bool isAlert)
    {
        var deliver = records.SelectAsync(_settings.Parallelism, message => DeliverAsync(message, isAlert));
        if (!isAlert)
        {
            return deliver;
        }
        var p = partition.Partition.Value;
        lock (_gate)
        {
            // Counted: a partition revoked and assigned again may start its new sub-source before the old one ended.
            _assigned[p] = _assigned.GetValueOrDefault(p) + 1;
        }
        return Source.FromTask(LocateAsync(p)).ConcatMany(_ => deliver)
            .WatchTermination((mat, done) =>
            {
                done.ContinueWith(_ =>
                {
                    lock (_gate)
                    {
                        if (--_assigned[p] == 0)
                        {
                            _assigned.Remove(p);
                        }
                    }
                }, TaskScheduler.Default);
                return mat;
            });
    }

    /// <summary>Locates the partition's shard here; a failure is logged by the allocation and changes nothing else.</summary>
    private async Task<NotUsed> LocateAsync(int partition)
    {
        try
        {
            await _allocation.AssignedAsync([partition]).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Logged by AssignedAsync: the shard stays where it is, its records reach it over the network.
        }
        return NotUsed.Instance;
    }

    private async Task<IEnvelope<string, string, ICommittable>> DeliverAsync(CommittableMessage<string, string> message, bool isAlert)
    {
        var record = message.Record;
        _counters.CountReceived();
        var read = DispatchRecords.Read(record.Message.Value, isAlert, _settings);
        if (read.IsDeadLetter)
        {
            _counters.CountMalformed();
            return ToDeadLetters(message, read);
        }
        var envelope = new DeviceEnvelope(read.DeviceId!, read.Command!);
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                var answer = await _region.Ask<object>(envelope, _settings.AskTimeout).ConfigureAwait(false);
                if (answer is DeviceCommandFailed { Rejected: true } rejected)
                {
                    // The journal refused the events: sending the command again cannot store them.
                    return ToDeadLetters(message, read with { Reason = DispatchRecords.PersistRejected, Message = rejected.Reason });
                }
                if (answer is DeviceCommandFailed failed)
                {
                    throw new DeviceJournalWriteException(failed.DeviceId, failed.Reason);
                }

                break;
            }
            catch (DeviceJournalWriteException ex) when (attempt < _settings.MaxAttempts)
            {
                var backoff = _settings.RetryBackoff(attempt);
                _counters.CountRetried();
                ShardingLog.CommandRetried(_logger, ex, read.DeviceId!, record.Topic, record.Partition.Value, record.Offset.Value, attempt, backoff);
                await Task.Delay(backoff).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is AskTimeoutException or TaskCanceledException or DeviceJournalWriteException)
            {
                ShardingLog.CommandNotAcknowledged(_logger, ex, read.DeviceId!, record.Topic, record.Partition.Value, record.Offset.Value, attempt, _settings.AskTimeout);
                throw;
            }
        }
        return ProducerMessage.PassThrough<string, string, ICommittable>(message.CommitableOffset);
    }

    /// <summary>The record to the dead-letter topic with its reason (its offset passed on to be committed once Kafka has it), or only logged and passed on when there is no dead-letter topic.</summary>
    private IEnvelope<string, string, ICommittable> ToDeadLetters(CommittableMessage<string, string> message, DispatchRecord read)
    {
        var record = message.Record;
        ShardingLog.DeadLetter(_logger, record.Topic, record.Partition.Value, record.Offset.Value, read.Reason!);
        if (_topics.DeadLetterTopic is not { } topic)
        {
            return ProducerMessage.PassThrough<string, string, ICommittable>(message.CommitableOffset);
        }
        _counters.CountDeadLettered();
        return ProducerMessage.Single(new ProducerRecord<string, string>(topic, DeadLetter(record, read)), (ICommittable)message.CommitableOffset);
    }

    private static Message<string, string> DeadLetter(ConsumeResult<string, string> record, DispatchRecord read)
    {
        var dead = DeadLetterHeaders.ForRejected(null, default, new RecordOrigin(record.Topic, record.Partition.Value, record.Offset.Value), read.Reason!, read.Message!);
        return new Message<string, string> { Key = record.Message.Key, Value = record.Message.Value, Headers = HeaderList.ToKafka(dead.Headers) };
    }

}
