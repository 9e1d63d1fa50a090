using System.Collections.Concurrent;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Events;
using Alerting.Kafka;
using Alerting.Persistence;
using Confluent.Kafka;

namespace Alerting.Dispatch.Hosting;

/// <summary>
/// Hosts the device entities of the dispatcher (the role of Akka.Cluster.Sharding): one entity per device, living on
/// the instance whose consumer-group member owns the device's partition of the alerts topic. The same partition of
/// the work-order topic is read by the same owner (assigned manually, offsets kept with the journal).
/// <para>One loop thread runs everything of an instance:</para>
/// <list type="bullet">
/// <item>Poll a batch (up to <see cref="DispatchSettings.MaxBatchSize"/> records); records below the stored offset of
/// their partition are repeats of the broker and skipped.</item>
/// <item>Each record becomes a command of its device's entity (loaded on demand); its events are applied at once and
/// queued; held alerts whose delay ended (by the injected <see cref="TimeProvider"/>) are decided too.</item>
/// <item>Per partition, the batch's events and the partition's next offsets are written in one transaction. Nothing of
/// the batch is visible outside before that commit.</item>
/// <item>Then the outbox messages of the touched entities are produced to the dispatch topic (same dispatch id on every
/// re-send); acknowledgements become <see cref="OutboxDelivered"/> events of a later batch; snapshots are saved every
/// <see cref="DispatchSettings.SnapshotEvery"/> events; idle quiet entities are passivated.</item>
/// </list>
/// On assignment a partition's entities are bulk-recovered (held alerts re-armed, unsent outbox re-sent) and the
/// consumers seek to the stored offsets. On revocation the batch in flight is finished and flushed and the entities
/// released. A write that hits a sequence number already in the journal means another owner wrote first: the
/// instance counts it (<see cref="DispatchCounters.Fenced"/>), drops its entities and stops. Any other write failure
/// stops the instance with that error (<see cref="Completion"/> faults); its partitions move to other members, which
/// recover them from the journal.
/// </summary>
public sealed class DispatchHost : IAsyncDisposable
{
    private readonly DispatchSettings _settings;
    private readonly IEventStore _store;
    private readonly TimeProvider _time;
    private readonly EventSerializer _serializer = DeviceEventSerialization.Create();
    private readonly Dictionary<int, PartitionShard> _shards = [];
    private readonly PriorityQueue<(int Partition, string DeviceId), DateTimeOffset> _timers = new();
    private readonly ConcurrentQueue<Delivery> _deliveries = new();
    private readonly List<ConsumeResult<string, string>> _inflight = [];
    private readonly CancellationTokenSource _stop = new();
    private readonly CancellationTokenSource _kill = new();
    private readonly Lock _ownedGate = new();
    private int[] _owned = [];
    private IConsumer<string, string>? _consumer;
    private IConsumer<string, string>? _workOrders;
    private IProducer<string, string>? _producer;
    private Exception? _handlerError;
    private Task? _loop;
    private DateTimeOffset _nextSweep;
    private volatile bool _fenced;

    /// <summary>Creates a host; nothing runs before <see cref="Start"/>.</summary>
    /// <param name="settings">Topics, group, delays, batch and memory settings.</param>
    /// <param name="store">The journal (PostgreSQL in production) shared by every instance of the group.</param>
    /// <param name="timeProvider">Clock of the delays and of the dispatch times; the system clock when null.</param>
    public DispatchHost(DispatchSettings settings, IEventStore store, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(store);
        _settings = settings.Validate();
        _store = store;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>What the host has done so far.</summary>
    public DispatchCounters Counters { get; } = new();

    /// <summary>Raised on the host's loop thread when it takes or releases a partition of the alerts topic.</summary>
    public event EventHandler<PartitionOwnershipChangedEventArgs>? OwnershipChanged;

    /// <summary>The alerts-topic partitions this instance owns now.</summary>
    public IReadOnlyList<int> OwnedPartitions
    {
        get
        {
            lock (_ownedGate)
            {
                return _owned;
            }
        }
    }

    /// <summary>Whether the host stopped because another owner had written to its entities' journal first.</summary>
    public bool IsFenced => _fenced;

    /// <summary>Completes when the loop has stopped (after <see cref="StopAsync"/>, <see cref="KillAsync"/> or fencing); faults on a fatal error.</summary>
    public Task Completion => _loop ?? Task.CompletedTask;

    /// <summary>Joins the consumer group and starts processing on a loop of its own.</summary>
    public void Start()
    {
        if (_loop is not null)
        {
            throw new InvalidOperationException("The host was already started.");
        }
        _loop = Task.Factory.StartNew(RunAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>
    /// Stops gracefully: finishes the batch in flight, waits for the producer's acknowledgements, flushes, leaves the
    /// group (its partitions move to other members at once).
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            await _loop.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// Stops as a crash would: no flush, no acknowledgements awaited, the group is not told (it rebalances after the
    /// session timeout). What was not committed is processed again by the next owner.
    /// </summary>
    public async Task KillAsync()
    {
        await _kill.CancelAsync();
        await _stop.CancelAsync();
        if (_loop is not null)
        {
            try
            {
                await _loop;
            }
            catch (Exception ex) when (ex is OperationCanceledException or JournalConcurrencyException)
            {
                // Expected when the loop was cut in the middle of a write.
            }
        }
    }

    /// <summary>Stops gracefully (see <see cref="StopAsync"/>) and releases the cancellation sources.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None);
        }
        finally
        {
            _stop.Dispose();
            _kill.Dispose();
        }
    }

    private bool Killed => _kill.IsCancellationRequested;

    private async Task RunAsync()
    {
        var ct = _kill.Token;
        var groupConfig = KafkaClients.ConsumerConfig(_settings.BootstrapServers, _settings.GroupId, _settings.SessionTimeout, _settings.HeartbeatInterval);
        _settings.ConfigureConsumer?.Invoke(groupConfig, "dispatch");
        var workOrderConfig = KafkaClients.ConsumerConfig(_settings.BootstrapServers, _settings.GroupId + ".work-orders", _settings.SessionTimeout, _settings.HeartbeatInterval);
        _settings.ConfigureConsumer?.Invoke(workOrderConfig, "dispatch-work-orders");
        var producerConfig = KafkaClients.ProducerConfig(_settings.BootstrapServers);
        _settings.ConfigureProducer?.Invoke(producerConfig, "dispatch");
        _producer = KafkaClients.ProducerBuilder<string, string>(producerConfig)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        _workOrders = KafkaClients.ConsumerBuilder<string, string>(workOrderConfig)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .Build();
        _consumer = KafkaClients.ConsumerBuilder<string, string>(groupConfig)
            .SetLogHandler((_, _) => { })
            .SetErrorHandler((_, _) => { })
            .SetPartitionsAssignedHandler(OnAssigned)
            .SetPartitionsRevokedHandler(OnRevoked)
            .SetPartitionsLostHandler(OnLost)
            .Build();
        var graceful = false;
        try
        {
            _consumer.Subscribe(_settings.AlertsTopic);
            while (!_stop.IsCancellationRequested && !_fenced)
            {
                Poll();
                if (_stop.IsCancellationRequested && Killed)
                {
                    break;
                }
                await ProcessAsync(ct);
                Sweep();
            }
            if (!Killed && !_fenced)
            {
                _producer.Flush(TimeSpan.FromSeconds(10));
                await ProcessAsync(ct);
                graceful = true;
            }
        }
        catch (JournalConcurrencyException)
        {
            Fence();
        }
        catch (OperationCanceledException) when (Killed)
        {
        }
        finally
        {
            if (graceful || _fenced)
            {
                // Leaving the group runs the revoke handler: it flushes (graceful) or only releases (fenced).
                try
                {
                    _consumer.Close();
                }
                catch (KafkaException)
                {
                    // The group may be gone already; the session timeout covers it.
                }
            }
            ReleaseAll();
            _workOrders.Dispose();
            _consumer.Dispose();
            _producer.Dispose();
        }
        if (_handlerError is JournalConcurrencyException && !_fenced)
        {
            Fence(); // another owner wrote first while this one was finishing a revoked partition
        }
        else if (_handlerError is { } error && !_fenced && !Killed)
        {
            throw new InvalidOperationException("The dispatcher stopped on an error in a rebalance.", error);
        }
    }

    /// <summary>Takes up to a batch of records from both consumers; rebalance callbacks run inside.</summary>
    private void Poll()
    {
        var first = true;
        while (_inflight.Count < _settings.MaxBatchSize && !_stop.IsCancellationRequested)
        {
            var record = Consume(_consumer!, first ? _settings.PollInterval : TimeSpan.Zero);
            first = false;
            if (record is null)
            {
                break;
            }
            _inflight.Add(record);
        }
        while (_shards.Count > 0 && _inflight.Count < _settings.MaxBatchSize * 2)
        {
            var record = Consume(_workOrders!, TimeSpan.Zero);
            if (record is null)
            {
                break;
            }
            _inflight.Add(record);
        }
        RethrowHandlerError();
    }

    private static ConsumeResult<string, string>? Consume(IConsumer<string, string> consumer, TimeSpan timeout)
    {
        try
        {
            var record = consumer.Consume(timeout);
            return record is { IsPartitionEOF: false } ? record : null;
        }
        catch (ConsumeException)
        {
            // A retriable fetch error can surface once; the next poll recovers.
            return null;
        }
    }

    private void RethrowHandlerError()
    {
        if (_handlerError is JournalConcurrencyException fenced)
        {
            _handlerError = null;
            throw fenced;
        }
        if (_handlerError is not null)
        {
            throw new InvalidOperationException("A rebalance of the dispatcher failed.", _handlerError);
        }
    }

    /// <summary>Turns the polled records, the acknowledgements and the due delays into events, then writes and sends.</summary>
    private async Task ProcessAsync(CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        HandleDeliveries(now);
        foreach (var record in _inflight)
        {
            await HandleRecordAsync(record, now, ct);
        }
        _inflight.Clear();
        while (_timers.TryPeek(out var due, out var at) && at <= now)
        {
            _timers.Dequeue();
            if (_shards.TryGetValue(due.Partition, out var shard))
            {
                var entity = await EntityAsync(shard, due.DeviceId, ct);
                Handle(shard, entity, DelayElapsed.Instance, now);
            }
        }
        await FlushAsync(now, ct);
    }

    private void HandleDeliveries(DateTimeOffset now)
    {
        Dictionary<DeviceEntity, (PartitionShard Shard, List<string> Ids)>? acknowledged = null;
        while (_deliveries.TryDequeue(out var delivery))
        {
            if (!_shards.TryGetValue(delivery.Partition, out var shard) || !shard.Entities.TryGetValue(delivery.DeviceId, out var entity)
                || !entity.InFlight.Remove(delivery.DispatchId))
            {
                continue;
            }
            if (delivery.Failed)
            {
                shard.Touched.Add(entity); // produced again after the next write
                continue;
            }
            acknowledged ??= [];
            if (!acknowledged.TryGetValue(entity, out var entry))
            {
                acknowledged[entity] = entry = (shard, []);
            }
            entry.Ids.Add(delivery.DispatchId);
        }
        foreach (var (entity, (shard, ids)) in acknowledged ?? [])
        {
            Counters.CountAcknowledged(ids.Count);
            Handle(shard, entity, new OutboxAcknowledged(ids), now);
        }
    }

    private async Task HandleRecordAsync(ConsumeResult<string, string> record, DateTimeOffset now, CancellationToken ct)
    {
        if (!_shards.TryGetValue(record.Partition.Value, out var shard))
        {
            return; // not (or no longer) owned
        }
        var isAlert = string.Equals(record.Topic, _settings.AlertsTopic, StringComparison.Ordinal);
        var next = isAlert ? shard.NextAlertOffset : shard.NextWorkOrderOffset;
        if (record.Offset.Value < next)
        {
            Counters.CountRedelivered();
            return;
        }
        if (isAlert)
        {
            shard.NextAlertOffset = record.Offset.Value + 1;
        }
        else
        {
            shard.NextWorkOrderOffset = record.Offset.Value + 1;
        }
        shard.OffsetsChanged = true;
        Counters.CountReceived();
        string? deviceId;
        IDeviceCommand? command;
        if (isAlert)
        {
            var alert = DispatchJson.ParseAlert(record.Message.Value);
            deviceId = alert?.DeviceNumber;
            command = alert is null ? null : new AlertCommand(alert);
        }
        else
        {
            var workOrder = DispatchJson.ParseWorkOrder(record.Message.Value);
            deviceId = workOrder?.DeviceId;
            command = workOrder is null ? null : new WorkOrderCommand(workOrder.AlertId, workOrder.Status);
        }
        if (command is null || string.IsNullOrEmpty(deviceId))
        {
            Counters.CountMalformed();
            await DeadLetterAsync(record, isAlert, ct);
            return;
        }
        var entity = await EntityAsync(shard, deviceId, ct);
        Handle(shard, entity, command, now);
    }

    /// <summary>
    /// Sends a record that cannot be read to the dead-letter topic and waits for Kafka's acknowledgement, so the
    /// offset stored after it never skips a record that is not safely elsewhere (a failure stops the host).
    /// </summary>
    private async Task DeadLetterAsync(ConsumeResult<string, string> record, bool isAlert, CancellationToken ct)
    {
        if (_settings.DeadLetterTopic is not { } topic)
        {
            return;
        }

        var origin = new RecordOrigin(record.Topic, record.Partition.Value, record.Offset.Value);
        var dead = isAlert
            ? DeadLetterHeaders.ForRejected(null, default, origin, DeadLetterHeaders.MalformedAlertReason, "not an alert record: JSON with kind, DeviceNumber and AlertID")
            : DeadLetterHeaders.ForRejected(null, default, origin, DeadLetterHeaders.MalformedWorkOrderReason, "not a work-order record: JSON with deviceId, alertId and status");
        var headers = new Headers();
        foreach (var (name, value) in dead.Headers)
        {
            headers.Add(name, value);
        }

        await _producer!.ProduceAsync(topic, new Message<string, string> { Key = record.Message.Key, Value = record.Message.Value, Headers = headers }, ct);
        Counters.CountDeadLettered();
    }

    private void Handle(PartitionShard shard, DeviceEntity entity, IDeviceCommand command, DateTimeOffset now)
    {
        entity.LastUsed = now;
        var decision = entity.State.Decide(command, now, _settings.DefaultDelay);
        if (decision.Ignored is { } reason)
        {
            Counters.CountDropped(reason);
        }
        if (decision.Events.Count == 0)
        {
            return;
        }
        foreach (var e in decision.Events)
        {
            entity.State.Apply(e);
            shard.Writes.Add(_serializer.ToJournalWrite(entity.PersistenceId, shard.PartitionKey, ++entity.SequenceNr, e));
            Counters.CountEvent(e);
            if (e is AlertHeld held)
            {
                _timers.Enqueue((shard.Partition, entity.DeviceId), held.DueAt);
            }
        }
        shard.Touched.Add(entity);
    }

    /// <summary>The entity of <paramref name="deviceId"/>: in memory, reloaded from the journal, or new.</summary>
    private async ValueTask<DeviceEntity> EntityAsync(PartitionShard shard, string deviceId, CancellationToken ct)
    {
        if (shard.Entities.TryGetValue(deviceId, out var entity))
        {
            return entity;
        }
        if (shard.Passivated.Remove(deviceId))
        {
            entity = await LoadAsync(deviceId, ct);
            Counters.CountReloaded();
        }
        else
        {
            entity = new DeviceEntity(deviceId, new DeviceEntityState(deviceId), 0, 0);
        }
        shard.Entities[deviceId] = entity;
        return entity;
    }

    private async Task<DeviceEntity> LoadAsync(string deviceId, CancellationToken ct)
    {
        var persistenceId = DeviceEntity.PersistenceIdPrefix + deviceId;
        var snapshot = await _store.LoadSnapshotAsync(persistenceId, SnapshotSelectionCriteria.Latest, ct);
        var state = snapshot is null
            ? new DeviceEntityState(deviceId)
            : DeviceEntityState.FromSnapshot((DeviceSnapshot)_serializer.Deserialize(snapshot.Manifest, snapshot.Payload));
        var sequenceNr = snapshot?.Metadata.SequenceNr ?? 0;
        await foreach (var e in _store.ReplayAsync(persistenceId, sequenceNr + 1, long.MaxValue, long.MaxValue, ct))
        {
            state.Apply((IDeviceEvent)_serializer.Deserialize(e));
            sequenceNr = e.SequenceNr;
        }
        return new DeviceEntity(deviceId, state, sequenceNr, snapshot?.Metadata.SequenceNr ?? 0);
    }

    /// <summary>Writes each partition's events and offsets in one transaction, then sends outboxes and saves snapshots.</summary>
    private async Task FlushAsync(DateTimeOffset now, CancellationToken ct)
    {
        var dirty = _shards.Values.Where(s => s.Writes.Count > 0 || s.OffsetsChanged).ToList();
        if (dirty.Count > 0)
        {
            await Task.WhenAll(dirty.Select(s => WriteAsync(s, ct)));
            Counters.CountBatch();
        }
        foreach (var shard in _shards.Values)
        {
            if (shard.Touched.Count == 0)
            {
                continue;
            }
            foreach (var entity in shard.Touched)
            {
                Send(shard, entity);
                if (entity.SequenceNr - entity.SnapshotSequenceNr >= _settings.SnapshotEvery)
                {
                    var (manifest, payload) = _serializer.Serialize(entity.State.ToSnapshot());
                    await _store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(entity.PersistenceId, entity.SequenceNr, now),
                        shard.PartitionKey, manifest, payload), ct);
                    entity.SnapshotSequenceNr = entity.SequenceNr;
                    Counters.CountSnapshot();
                }
            }
            shard.Touched.Clear();
        }
    }

    private async Task WriteAsync(PartitionShard shard, CancellationToken ct)
    {
        List<ConsumerOffset> offsets = [];
        if (shard.OffsetsChanged)
        {
            offsets.Add(new ConsumerOffset(_settings.GroupId, _settings.AlertsTopic, shard.Partition, shard.NextAlertOffset));
            offsets.Add(new ConsumerOffset(_settings.GroupId, _settings.WorkOrdersTopic, shard.Partition, shard.NextWorkOrderOffset));
        }
        await _store.WriteAsync(shard.Writes, offsets, ct);
        shard.Writes.Clear();
        shard.OffsetsChanged = false;
    }

    /// <summary>Produces the entity's outbox messages that are not in flight; acknowledgements come back through <see cref="_deliveries"/>.</summary>
    private void Send(PartitionShard shard, DeviceEntity entity)
    {
        foreach (var message in entity.State.Outbox)
        {
            if (!entity.InFlight.Add(message.DispatchId))
            {
                continue;
            }
            var delivery = new Delivery(shard.Partition, entity.DeviceId, message.DispatchId, false);
            var record = new Message<string, string> { Key = entity.DeviceId, Value = DispatchJson.Write(message) };
            while (true)
            {
                try
                {
                    _producer!.Produce(_settings.DispatchTopic, record,
                        report => _deliveries.Enqueue(report.Error.IsError ? delivery with { Failed = true } : delivery));
                    break;
                }
                catch (ProduceException<string, string> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    _producer!.Poll(TimeSpan.FromMilliseconds(50));
                }
            }
            Counters.CountProduced();
        }
    }

    /// <summary>Drops idle entities with nothing held and nothing to send from memory; they are reloaded on demand.</summary>
    private void Sweep()
    {
        var now = _time.GetUtcNow();
        if (now < _nextSweep)
        {
            return;
        }
        var period = _settings.PassivateAfter / 4;
        _nextSweep = now + (period < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : period);
        foreach (var shard in _shards.Values)
        {
            List<string>? idle = null;
            foreach (var (id, entity) in shard.Entities)
            {
                if (entity.LastUsed + _settings.PassivateAfter <= now && entity.State.IsQuiet && entity.InFlight.Count == 0)
                {
                    (idle ??= []).Add(id);
                }
            }
            foreach (var id in idle ?? [])
            {
                shard.Entities.Remove(id);
                shard.Passivated.Add(id);
                Counters.CountPassivated();
            }
        }
    }

    private IEnumerable<TopicPartitionOffset> OnAssigned(IConsumer<string, string> consumer, List<TopicPartition> partitions)
    {
        if (Killed || _fenced || _handlerError is not null)
        {
            return partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset));
        }
        try
        {
            var ct = _kill.Token;
            var alertOffsets = _store.ReadOffsetsAsync(_settings.GroupId, _settings.AlertsTopic, ct).GetAwaiter().GetResult();
            var workOrderOffsets = _store.ReadOffsetsAsync(_settings.GroupId, _settings.WorkOrdersTopic, ct).GetAwaiter().GetResult();
            var result = new List<TopicPartitionOffset>(partitions.Count);
            foreach (var tp in partitions)
            {
                var p = tp.Partition.Value;
                var shard = new PartitionShard(p, _settings.AlertsTopic + "-" + p.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    NextAlertOffset = alertOffsets.GetValueOrDefault(p),
                    NextWorkOrderOffset = workOrderOffsets.GetValueOrDefault(p),
                };
                RecoverAsync(shard, ct).GetAwaiter().GetResult();
                _shards[p] = shard;
                result.Add(new TopicPartitionOffset(tp, alertOffsets.TryGetValue(p, out var o) ? new Offset(o) : Offset.Beginning));
            }
            AssignWorkOrders();
            foreach (var tp in partitions)
            {
                OwnershipChanged?.Invoke(this, new PartitionOwnershipChangedEventArgs(tp.Partition.Value, true));
            }
            return result;
        }
        catch (Exception ex)
        {
            _handlerError = ex;
            return partitions.Select(tp => new TopicPartitionOffset(tp, Offset.Unset));
        }
    }

    /// <summary>Bulk-recovers a partition's entities: state, sequence numbers, held alerts re-armed, unsent outbox marked for sending.</summary>
    private async Task RecoverAsync(PartitionShard shard, CancellationToken ct)
    {
        var now = _time.GetUtcNow();
        await foreach (var recovered in _store.RecoverPartitionAsync(shard.PartitionKey, ct))
        {
            if (!recovered.PersistenceId.StartsWith(DeviceEntity.PersistenceIdPrefix, StringComparison.Ordinal))
            {
                continue;
            }
            var deviceId = recovered.PersistenceId[DeviceEntity.PersistenceIdPrefix.Length..];
            var state = recovered.Snapshot is { } s
                ? DeviceEntityState.FromSnapshot((DeviceSnapshot)_serializer.Deserialize(s.Manifest, s.Payload))
                : new DeviceEntityState(deviceId);
            foreach (var e in recovered.Events)
            {
                state.Apply((IDeviceEvent)_serializer.Deserialize(e));
            }
            var entity = new DeviceEntity(deviceId, state, recovered.HighestSequenceNr, recovered.Snapshot?.Metadata.SequenceNr ?? 0)
            {
                LastUsed = now,
            };
            shard.Entities[deviceId] = entity;
            foreach (var pending in state.Pending.Values)
            {
                _timers.Enqueue((shard.Partition, deviceId), pending.DueAt);
            }
            if (state.Outbox.Count > 0)
            {
                shard.Touched.Add(entity);
            }
            Counters.CountRecovered();
        }
    }

    private void OnRevoked(IConsumer<string, string> consumer, List<TopicPartitionOffset> partitions)
    {
        if (!Killed && !_fenced && _handlerError is null)
        {
            try
            {
                // Finish the batch in flight (all partitions: one write each), send its outbox, and record every
                // acknowledgement that can be had, so the next owner re-sends as little as possible.
                _producer!.Flush(TimeSpan.FromSeconds(5));
                ProcessAsync(_kill.Token).GetAwaiter().GetResult();
                _producer.Flush(TimeSpan.FromSeconds(5));
                ProcessAsync(_kill.Token).GetAwaiter().GetResult();
            }
            catch (Exception ex)
            {
                _handlerError = ex;
            }
        }
        Release(partitions.Select(tp => tp.Partition.Value));
    }

    private void OnLost(IConsumer<string, string> consumer, List<TopicPartitionOffset> partitions)
    {
        // Someone else may own them already: write nothing, forget everything of them.
        Release(partitions.Select(tp => tp.Partition.Value));
    }

    private void Release(IEnumerable<int> partitions)
    {
        var released = new List<int>();
        foreach (var p in partitions)
        {
            if (_shards.Remove(p))
            {
                released.Add(p);
            }
        }
        _inflight.RemoveAll(r => !_shards.ContainsKey(r.Partition.Value));
        if (Killed)
        {
            UpdateOwned();
        }
        else
        {
            AssignWorkOrders();
        }
        foreach (var p in released)
        {
            OwnershipChanged?.Invoke(this, new PartitionOwnershipChangedEventArgs(p, false));
        }
    }

    private void ReleaseAll() => Release([.. _shards.Keys]);

    /// <summary>Assigns the work-order partitions of the owned shards at their next offsets (manual assignment, no group).</summary>
    private void AssignWorkOrders()
    {
        UpdateOwned();
        _workOrders?.Assign(_shards.Values.Select(s => new TopicPartitionOffset(_settings.WorkOrdersTopic, s.Partition,
            s.NextWorkOrderOffset > 0 ? new Offset(s.NextWorkOrderOffset) : Offset.Beginning)));
    }

    private void UpdateOwned()
    {
        lock (_ownedGate)
        {
            _owned = [.. _shards.Keys.Order()];
        }
    }

    private void Fence()
    {
        _fenced = true;
        Counters.CountFenced();
        _inflight.Clear();
        foreach (var shard in _shards.Values)
        {
            shard.Writes.Clear();
            shard.Touched.Clear();
        }
    }

    private readonly record struct Delivery(int Partition, string DeviceId, string DispatchId, bool Failed);
}
