using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Diagnostics;
using Alerting.Kafka.Dsl;
using Alerting.Kafka.Helpers;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Confluent.Kafka;

namespace Alerting.Kafka.Stages;

/// <summary>What the poll loop tells the source stage that owns it. Called on the loop's thread.</summary>
internal interface IConsumerLoopOwner
{
    /// <summary>Partitions were assigned; each has a new epoch that its sub-source registers with.</summary>
    void Assigned(IReadOnlyList<(TopicPartition Partition, long Epoch)> partitions);

    /// <summary>Partitions were revoked (or lost): their sub-sources, emitted or not, are finished.</summary>
    void Revoked(IReadOnlyList<TopicPartition> partitions);

    /// <summary>The loop stopped emitting (<see cref="KafkaConsumerLoop{TKey,TValue}.StopEmitting"/>).</summary>
    void Stopped();

    /// <summary>The consumer failed; the loop closes it.</summary>
    void Failed(Exception cause);
}

/// <summary>What the poll loop tells a partition's sub-source. Called on the loop's thread.</summary>
internal interface IPartitionSink<TKey, TValue>
{
    /// <summary>Records of the partition, in offset order, answering the sub-source's request.</summary>
    void Deliver(List<ConsumeResult<TKey, TValue>> records);

    /// <summary>The partition was revoked (or this sub-source belongs to an older assignment): complete, drop what is buffered.</summary>
    void Revoked();

    /// <summary>The source stopped emitting: complete.</summary>
    void Stopped();

    /// <summary>The consumer failed: fail.</summary>
    void Failed(Exception cause);
}

/// <summary>
/// The one poll loop of a consumer source, in the shape of Akka.Streams.Kafka's <c>KafkaConsumerActor</c>, on a
/// dedicated thread that owns the <see cref="IConsumer{TKey,TValue}"/> (the blocking <c>Consume</c> never runs on
/// a stream thread). Other threads talk to it only through commands: sub-sources register and request records,
/// committables commit, the control stops and closes. Between polls the loop pauses every partition nobody
/// consumes (no running sub-source, or 16 × <c>buffer-size</c> records already waiting for it) and resumes the others,
/// hands each requesting sub-source what was fetched for its partition, and runs the queued commits
/// (serialized, one request per round). Group rebalances run inside <c>Consume</c>
/// on this thread: before partitions are revoked the queued commits are run, records fetched for them are
/// dropped and their sub-sources complete. Partitions are paused once the assignment is in place, never inside
/// the assignment handler (where librdkafka has not assigned them yet).
/// </summary>
internal sealed class KafkaConsumerLoop<TKey, TValue> : IInternalCommitter
{
    private static readonly TimeSpan ShortPoll = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Records fetched for a partition, beyond what its sub-source took, before the partition is paused: a multiple
    /// of <c>buffer-size</c>, because a paused partition loses librdkafka's prefetch and is fetched again on resume,
    /// so pausing at every request would bound a slow consumer's throughput by the fetch round trip.
    /// </summary>
    private const int PendingBuffers = 16;

    /// <summary>How long a commit the group coordinator refused during a rebalance waits before it is tried again.</summary>
    private static readonly TimeSpan CommitRetryInterval = TimeSpan.FromMilliseconds(200);

    private readonly ConsumerSettings<TKey, TValue> _settings;
    private readonly ISubscription _subscription;
    private readonly Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>>? _getOffsetsOnAssign;
    private readonly Action<IImmutableSet<TopicPartition>>? _onRevoke;
    private readonly IPartitionReadListener? _readListener;
    private readonly string _client;
    private readonly ConcurrentQueue<Action> _commands = new();
    // No spinning before the wait blocks: a node runs a loop per consumer (and a bootstrap one per partition), and on a
    // few cores their spin-waits took the CPU from the streams they wait for.
    private readonly ManualResetEventSlim _wakeup = new(false, spinCount: 0);
    private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
    private readonly List<(IReadOnlyList<TopicPartitionOffset> Offsets, TaskCompletionSource Done)> _commits = [];
    // commits wait until then after the coordinator refused one during a rebalance (those refused wait among them)
    private DateTime _commitRetryAt;
    private DateTime? _commitRefusedSince;
    private IConsumerLoopOwner? _owner;
    private IConsumer<TKey, TValue>? _consumer;
    private Thread? _thread;
    private long _nextEpoch;
    private bool _emittingStopped;
    private DateTime? _closeAt;
    private bool _rebalanced;
    private Error? _fatal;
    private Exception? _handlerFailure;
    private volatile bool _finished;

    public KafkaConsumerLoop(
        ConsumerSettings<TKey, TValue> settings,
        ISubscription subscription,
        Func<IImmutableSet<TopicPartition>, Task<IImmutableSet<TopicPartitionOffset>>>? getOffsetsOnAssign,
        Action<IImmutableSet<TopicPartition>>? onRevoke,
        IPartitionReadListener? readListener = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(subscription);
        if (subscription is not IAutoSubscription and not IManualSubscription)
        {
            throw new ArgumentException($"Unknown subscription {subscription.GetType().Name}.", nameof(subscription));
        }

        if (string.IsNullOrEmpty(settings.Properties.GetValueOrDefault("bootstrap.servers")))
        {
            throw new ArgumentException("The consumer settings have no bootstrap.servers.", nameof(settings));
        }

        if (subscription is IAutoSubscription && string.IsNullOrEmpty(settings.GroupId))
        {
            throw new ArgumentException("A topic subscription needs a group.id in the consumer settings.", nameof(settings));
        }

        _settings = settings;
        _subscription = subscription;
        _getOffsetsOnAssign = getOffsetsOnAssign;
        _onRevoke = onRevoke;
        _readListener = readListener;
        _client = settings.Properties.GetValueOrDefault("client.id") is { Length: > 0 } id
            ? id
            : $"{settings.GroupId ?? "no-group"}/{subscription}";
    }

    private int PendingLimit => _settings.BufferSize * PendingBuffers;

    /// <summary>Told how far each partition has been read; null when nobody listens.</summary>
    public IPartitionReadListener? ReadListener => _readListener;

    /// <summary>The consumer group of the committed offsets (empty when none is set).</summary>
    public string GroupId => _settings.GroupId ?? "";

    /// <summary>Completes once the loop stopped emitting.</summary>
    public Task EmittingStopped => _stopped.Task;

    /// <summary>Completes once the consumer is closed; fails with the consumer's failure.</summary>
    public Task Closed => _closed.Task;

    /// <summary>Starts the loop's thread; <paramref name="owner"/> hears of assignments, revocations and failure.</summary>
    public void Start(IConsumerLoopOwner owner)
    {
        _owner = owner;
        _thread = new Thread(Run) { IsBackground = true, Name = "kafka-consumer " + _client };
        _thread.Start();
    }

    /// <summary>A sub-source of a partition's assignment <paramref name="epoch"/> is ready to receive records.</summary>
    public void Register(TopicPartition partition, long epoch, IPartitionSink<TKey, TValue> sink) =>
        Enqueue(() =>
        {
            if (_emittingStopped)
            {
                sink.Stopped();
            }
            else if (!_partitions.TryGetValue(partition, out var state) || state.Epoch != epoch)
            {
                sink.Revoked();
            }
            else if (state.Sink is not null || state.Retired)
            {
                sink.Failed(new InvalidOperationException($"The sub-source of {partition} can be materialized only once."));
            }
            else
            {
                state.Sink = sink;
            }
        });

    /// <summary>The sub-source of <paramref name="partition"/> (that epoch) stopped: its partition stays paused.</summary>
    public void Unregister(TopicPartition partition, long epoch) =>
        Enqueue(() =>
        {
            if (_partitions.TryGetValue(partition, out var state) && state.Epoch == epoch)
            {
                state.Sink = null;
                state.Requested = false;
                state.Retired = true;
            }
        });

    /// <summary>The sub-source of <paramref name="partition"/> (that epoch) wants more records.</summary>
    public void Request(TopicPartition partition, long epoch) =>
        Enqueue(() =>
        {
            if (_partitions.TryGetValue(partition, out var state) && state.Epoch == epoch && state.Sink is not null)
            {
                state.Requested = true;
                ReportEnd(partition, state);
            }
        });

    /// <summary>Stops emitting: every sub-source completes, nothing more is fetched; commits are still served.</summary>
    public void StopEmitting() => Enqueue(StopEmittingNow);

    /// <summary>Stops emitting and closes the consumer once <paramref name="delay"/> has passed (commits until then).</summary>
    public void CloseAfter(TimeSpan delay) =>
        Enqueue(() =>
        {
            StopEmittingNow();
            var at = DateTime.UtcNow + delay;
            if (_closeAt is null || at < _closeAt)
            {
                _closeAt = at;
            }
        });

    /// <inheritdoc />
    public Task Commit(IReadOnlyList<TopicPartitionOffset> offsets)
    {
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (_finished)
        {
            done.SetException(ClosedException());
            return done.Task;
        }

        Enqueue(() => _commits.Add((offsets, done)));
        return done.Task.WaitAsync(_settings.CommitTimeout);
    }

    private void Enqueue(Action command)
    {
        _commands.Enqueue(command);
        _wakeup.Set();
    }

    private void Run()
    {
        Exception? failure = null;
        try
        {
            _consumer = Build();
            if (_subscription is IAutoSubscription auto)
            {
                _consumer.Subscribe(auto.Topics);
            }
            else
            {
                var manual = (IManualSubscription)_subscription;
                _consumer.Assign(manual.Partitions);
                NoteAssigned(manual.Partitions.Select(p => p.TopicPartition).ToList());
            }

            while (true)
            {
                _wakeup.Reset();
                RunCommands();
                if (_closeAt is { } closeAt && DateTime.UtcNow >= closeAt)
                {
                    break;
                }

                // What was fetched before a sub-source asked goes out now, not after the next poll.
                DeliverRequested();
                var (fetching, waiting) = ApplyPauses();
                if (fetching == 0 && _commands.IsEmpty)
                {
                    _wakeup.Wait(_settings.PollInterval);
                }

                // Records waiting for their sub-source's request: poll in short slices so a request is served soon.
                var timeout = fetching == 0 ? TimeSpan.Zero
                    : waiting ? TimeSpan.FromTicks(Math.Min(_settings.PollTimeout.Ticks, ShortPoll.Ticks))
                    : _settings.PollTimeout;
                Poll(timeout, Math.Max(1, fetching) * _settings.BufferSize);
                DeliverRequested();
            }
        }
        catch (Exception e)
        {
            failure = e;
            KafkaLog.ConsumerFailed(_settings.Logger, _client, failure);
            _owner?.Failed(failure);
            foreach (var state in _partitions.Values)
            {
                state.Sink?.Failed(failure);
                state.Sink = null;
            }
        }
        finally
        {
            Close(failure);
        }
    }

    private IConsumer<TKey, TValue> Build()
    {
        var config = _settings.ToConsumerConfig();
        if (_readListener is not null)
        {
            config.EnablePartitionEof = true; // partition ends tell the listener that nothing more is there to read
        }

        if (_subscription is IAutoSubscription && !_settings.Properties.ContainsKey("partition.assignment.strategy"))
        {
            config.PartitionAssignmentStrategy = PartitionAssignmentStrategy.CooperativeSticky;
        }

        var builder = KafkaClients.ConsumerBuilder<TKey, TValue>(config)
            .SetErrorHandler((_, error) =>
            {
                if (error.IsFatal)
                {
                    _fatal = error;
                }

                KafkaLog.ClientError(_settings.Logger, _client, error);
            })
            .SetLogHandler((_, message) =>
            {
                if (message.Level > SyslogLevel.Warning)
                {
                    return;
                }

                if (OffsetReset.TryParse(message.Facility, message.Message, out var reset))
                {
                    // records the stream never saw (retention deleted them first), or records it will see again
                    KafkaLog.OffsetReset(_settings.Logger, _client, reset!.Topic, reset.Partition, reset.From, reset.To, reset.Skipped, message.Message);
                    _settings.OffsetResetHandler?.Invoke(reset);
                    return;
                }

                KafkaLog.ClientLog(_settings.Logger, _client, message.Facility, message.Message);
            })
            .SetPartitionsAssignedHandler((_, partitions) => Guarded(() => OnAssigned(partitions), partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset)).ToList()))
            .SetPartitionsRevokedHandler((_, partitions) => Guarded(() => OnRevoked(partitions, lost: false)))
            .SetPartitionsLostHandler((_, partitions) => Guarded(() => OnRevoked(partitions, lost: true)));
        if (_settings.KeyDeserializer is { } key)
        {
            builder.SetKeyDeserializer(key);
        }

        if (_settings.ValueDeserializer is { } value)
        {
            builder.SetValueDeserializer(value);
        }

        return builder.Build();
    }

    /// <summary>
    /// Runs a rebalance handler without letting an exception escape into librdkafka's callback (the client cannot
    /// undo a cooperative assignment from there and the process would crash): the failure is kept and thrown on
    /// the loop once Consume returns, failing the source.
    /// </summary>
    private T Guarded<T>(Func<T> handler, T fallback)
    {
        try
        {
            return handler();
        }
        catch (Exception e)
        {
            _handlerFailure ??= e;
            return fallback;
        }
    }

    private void Guarded(Action handler) => Guarded(() =>
    {
        handler();
        return 0;
    }, 0);

    private void RunCommands()
    {
        while (_commands.TryDequeue(out var command))
        {
            command();
        }

        RunCommits();
    }

    private void RunCommits()
    {
        // While a refused commit waits, newer ones wait with it: committed alone first, they would be overwritten by
        // the older offsets when the refused one is tried again.
        if (_commits.Count == 0 || DateTime.UtcNow < _commitRetryAt)
        {
            return;
        }

        var batch = _commits.ToList();
        _commits.Clear();
        var latest = new Dictionary<TopicPartition, Offset>();
        var skipped = new List<TopicPartitionOffset>();
        foreach (var (offsets, _) in batch)
        {
            foreach (var offset in offsets)
            {
                if (!_partitions.ContainsKey(offset.TopicPartition))
                {
                    skipped.Add(offset);
                }
                else if (!latest.TryGetValue(offset.TopicPartition, out var known) || known.Value < offset.Offset.Value)
                {
                    latest[offset.TopicPartition] = offset.Offset;
                }
            }
        }

        if (skipped.Count > 0)
        {
            KafkaLog.CommitOfRevokedSkipped(_settings.Logger, _client, string.Join(", ", skipped));
        }

        if (latest.Count > 0)
        {
            var offsets = latest.Select(e => new TopicPartitionOffset(e.Key, e.Value)).ToList();
            var watch = Stopwatch.StartNew();
            try
            {
                _consumer!.Commit(offsets);
            }
            catch (KafkaException e) when (RefusedForRebalance(e.Error.Code) && DateTime.UtcNow - (_commitRefusedSince ??= DateTime.UtcNow) < _settings.CommitTimeout)
            {
                // The group is rebalancing (or this member's generation is gone): the coordinator takes commits again
                // once it has rejoined. Tried again then; a partition it no longer holds is skipped (its new owner
                // reads from the last committed offset), so the stream goes on instead of failing and rejoining.
                KafkaLog.CommitRefusedDuringRebalance(_settings.Logger, _client, string.Join(", ", offsets), e.Error.Reason, CommitRetryInterval);
                _commits.AddRange(batch);
                _commitRetryAt = DateTime.UtcNow + CommitRetryInterval;
                return;
            }
            catch (KafkaException e)
            {
                _commitRefusedSince = null;
                KafkaLog.CommitFailed(_settings.Logger, _client, string.Join(", ", offsets), e);
                foreach (var (_, done) in batch)
                {
                    done.TrySetException(e);
                }

                return;
            }

            if (watch.Elapsed > _settings.CommitTimeWarning)
            {
                KafkaLog.CommitSlow(_settings.Logger, _client, string.Join(", ", offsets), watch.Elapsed);
            }
        }

        _commitRefusedSince = null;
        foreach (var (_, done) in batch)
        {
            done.TrySetResult();
        }
    }

    private void StopEmittingNow()
    {
        if (_emittingStopped)
        {
            return;
        }

        _emittingStopped = true;
        foreach (var state in _partitions.Values)
        {
            var sink = state.Sink;
            state.Sink = null;
            state.Requested = false;
            state.Retired = true;
            sink?.Stopped();
        }

        _owner?.Stopped();
        _stopped.TrySetResult();
    }

    /// <summary>
    /// Fetches the partitions whose sub-source runs and has fewer than <see cref="PendingLimit"/> records waiting; pauses
    /// the others: partitions nobody consumes (no sub-source yet, or it stopped) and those whose sub-source is not
    /// keeping up. Partitions are not paused merely between two requests: librdkafka drops what it prefetched for
    /// a paused partition and fetches it again on resume.
    /// </summary>
    /// <returns>How many partitions are fetched, and whether records wait for a request.</returns>
    private (int Fetching, bool Waiting) ApplyPauses()
    {
        List<TopicPartition>? pause = null;
        List<TopicPartition>? resume = null;
        var fetching = 0;
        var waiting = false;
        foreach (var (partition, state) in _partitions)
        {
            var wanted = state.Sink is not null && state.Pending.Count < PendingLimit;
            fetching += wanted ? 1 : 0;
            waiting |= state.Sink is not null && state.Pending.Count > 0;
            if (wanted == state.Fetching)
            {
                continue;
            }

            (wanted ? resume ??= [] : pause ??= []).Add(partition);
            state.Fetching = wanted;
        }

        if (pause is not null)
        {
            _consumer!.Pause(pause);
        }

        if (resume is not null)
        {
            _consumer!.Resume(resume);
        }

        return (fetching, waiting);
    }

    /// <summary>Consumes what is there, waiting up to <paramref name="timeout"/> for the first record, at most <paramref name="maxRecords"/>.</summary>
    private void Poll(TimeSpan timeout, int maxRecords)
    {
        _rebalanced = false;
        var record = Consume(timeout);
        var count = 0;
        // consecutive records mostly share a partition: its state is looked up once per run of them, not per record (a
        // record's TopicPartition is a new object, hashed through its topic); a rebalance inside Consume may replace it
        PartitionState? last = null;
        string? lastTopic = null;
        var lastPartition = -1;
        while (record is not null)
        {
            if (last is null || _rebalanced || record.Partition.Value != lastPartition || !string.Equals(record.Topic, lastTopic, StringComparison.Ordinal))
            {
                last = _partitions.GetValueOrDefault(record.TopicPartition);
                (lastTopic, lastPartition) = (record.Topic, record.Partition.Value);
            }

            if (last is { } state)
            {
                if (!record.IsPartitionEOF)
                {
                    state.Pending.Add(record);
                    if (state.End is { } end && record.Offset.Value >= end)
                    {
                        state.End = null; // the log went on past the end found
                    }
                }
                else if (_readListener is not null)
                {
                    state.End = record.Offset.Value;
                    ReportEnd(record.TopicPartition, state);
                }
            }

            // A rebalance inside Consume changed the assignment: pause the new partitions before reading on.
            if (_rebalanced || ++count >= maxRecords)
            {
                break;
            }

            record = Consume(TimeSpan.Zero);
        }
    }

    private ConsumeResult<TKey, TValue>? Consume(TimeSpan timeout)
    {
        try
        {
            var record = _consumer!.Consume(timeout);
            if (_fatal is { } fatal)
            {
                throw new KafkaException(fatal);
            }

            if (_handlerFailure is { } failure)
            {
                throw new InvalidOperationException("A partition assignment handler failed.", failure);
            }

            return record;
        }
        catch (ConsumeException e) when (!e.Error.IsFatal
            && e.Error.Code is not ErrorCode.Local_KeyDeserialization and not ErrorCode.Local_ValueDeserialization)
        {
            KafkaLog.ConsumeError(_settings.Logger, _client, e.Error.Reason);
            return null;
        }
    }

    private void DeliverRequested()
    {
        foreach (var state in _partitions.Values)
        {
            if (state.Requested && state.Pending.Count > 0 && state.Sink is { } sink)
            {
                var records = state.Pending;
                state.Pending = [];
                state.Requested = false;
                sink.Deliver(records);
            }
        }
    }

    /// <summary>
    /// Tells the listener a partition's end once its sub-source waits for records with nothing fetched for it: every
    /// record before the end has then been emitted.
    /// </summary>
    private void ReportEnd(TopicPartition partition, PartitionState state)
    {
        if (_readListener is not null && state.End is { } end && state.Requested && state.Pending.Count == 0 && state.Sink is not null)
        {
            state.End = null;
            _readListener.ReachedEnd(partition, end);
        }
    }

    private List<TopicPartitionOffset> OnAssigned(List<TopicPartition> partitions)
    {
        _rebalanced = true;
        var offsets = partitions.Select(p => new TopicPartitionOffset(p, Offset.Unset)).ToList();
        if (_getOffsetsOnAssign is not null && partitions.Count > 0)
        {
            var given = AwaitHandler("getOffsetsOnAssign", _getOffsetsOnAssign(partitions.ToImmutableHashSet()));
            var byPartition = given.ToDictionary(o => o.TopicPartition, o => o.Offset);
            offsets = partitions
                .Select(p => new TopicPartitionOffset(p, byPartition.TryGetValue(p, out var o) ? o : Offset.Unset))
                .ToList();
        }

        NoteAssigned(partitions);
        return offsets;
    }

    private void NoteAssigned(List<TopicPartition> partitions)
    {
        if (partitions.Count == 0)
        {
            return;
        }

        var assigned = new List<(TopicPartition, long)>(partitions.Count);
        foreach (var partition in partitions)
        {
            // librdkafka assigns them after this handler returns, unpaused: Fetching = true makes the next round pause them.
            var state = new PartitionState(++_nextEpoch) { Fetching = true, Retired = _emittingStopped };
            _partitions[partition] = state;
            assigned.Add((partition, state.Epoch));
        }

        KafkaLog.PartitionsAssigned(_settings.Logger, _client, string.Join(", ", partitions));
        if (!_emittingStopped)
        {
            _owner?.Assigned(assigned);
        }
    }

    private void OnRevoked(List<TopicPartitionOffset> partitions, bool lost)
    {
        _rebalanced = true;
        var revoked = partitions.Select(p => p.TopicPartition).Where(_partitions.ContainsKey).ToList();
        if (lost)
        {
            // Another member may own them already: what is queued for them is not committed (skipped next round).
            KafkaLog.PartitionsLost(_settings.Logger, _client, string.Join(", ", revoked));
        }
        else
        {
            // Commits queued so far are for records processed while this consumer owned the partitions: run
            // them before the partitions go.
            KafkaLog.PartitionsRevoked(_settings.Logger, _client, string.Join(", ", revoked));
            RunCommands();
        }

        if (_onRevoke is not null && revoked.Count > 0)
        {
            var watch = Stopwatch.StartNew();
            _onRevoke(revoked.ToImmutableHashSet());
            if (watch.Elapsed > _settings.PartitionHandlerWarning)
            {
                KafkaLog.PartitionHandlerSlow(_settings.Logger, _client, "onRevoke", watch.Elapsed);
            }
        }

        foreach (var partition in revoked)
        {
            if (_partitions.Remove(partition, out var state))
            {
                state.Sink?.Revoked();
            }
        }

        if (revoked.Count > 0)
        {
            _owner?.Revoked(revoked);
        }
    }

    private IImmutableSet<TopicPartitionOffset> AwaitHandler(string handler, Task<IImmutableSet<TopicPartitionOffset>> task)
    {
        var watch = Stopwatch.StartNew();
        while (!task.Wait(_settings.PartitionHandlerWarning))
        {
            KafkaLog.PartitionHandlerSlow(_settings.Logger, _client, handler, watch.Elapsed);
        }

        return task.GetAwaiter().GetResult();
    }

    private void Close(Exception? failure)
    {
        StopEmittingNow();
        var consumer = _consumer;
        if (consumer is not null)
        {
            var watch = Stopwatch.StartNew();
            try
            {
                // Close leaves the group (Dispose alone would leave it to time out) and runs the revocation
                // handler, so commits queued until now are made first.
                consumer.Close();
            }
            catch (Exception e)
            {
                KafkaLog.CloseFailed(_settings.Logger, _client, e);
            }

            if (watch.Elapsed > _settings.CloseTimeout)
            {
                KafkaLog.CloseFailed(_settings.Logger, _client, new TimeoutException($"closing took {watch.Elapsed}, more than close-timeout"));
            }
        }

        if (failure is null && _handlerFailure is { } handlerFailure)
        {
            // onRevoke failed while the consumer left the group.
            failure = handlerFailure;
            KafkaLog.ConsumerFailed(_settings.Logger, _client, failure);
        }

        _finished = true;
        RunPendingCommandsAfterClose();
        try
        {
            consumer?.Dispose();
        }
        catch (Exception e)
        {
            KafkaLog.CloseFailed(_settings.Logger, _client, e);
        }

        KafkaLog.Closed(_settings.Logger, _client);
        if (failure is null)
        {
            _closed.TrySetResult();
        }
        else
        {
            _closed.TrySetException(failure);
        }
    }

    private void RunPendingCommandsAfterClose()
    {
        while (_commands.TryDequeue(out var command))
        {
            command();
        }

        foreach (var (_, done) in _commits)
        {
            done.TrySetException(ClosedException());
        }

        _commits.Clear();
        _partitions.Clear();
    }

    /// <summary>Commit errors of a group in a rebalance, or of a member that must rejoin it: gone once it has.</summary>
    private static bool RefusedForRebalance(ErrorCode code) =>
        code is ErrorCode.RebalanceInProgress or ErrorCode.IllegalGeneration or ErrorCode.UnknownMemberId;

    private InvalidOperationException ClosedException() =>
        new($"The Kafka consumer {_client} is closed: the offsets were not committed.");

    private sealed class PartitionState(long epoch)
    {
        public long Epoch { get; } = epoch;

        public IPartitionSink<TKey, TValue>? Sink { get; set; }

        /// <summary>The sub-source asked for records and has not been given any since.</summary>
        public bool Requested { get; set; }

        /// <summary>The partition is resumed in the consumer (not paused).</summary>
        public bool Fetching { get; set; }

        /// <summary>The sub-source stopped or the source stopped emitting: no sub-source will take this assignment.</summary>
        public bool Retired { get; set; }

        /// <summary>Records fetched but not yet handed to the sub-source.</summary>
        public List<ConsumeResult<TKey, TValue>> Pending { get; set; } = [];

        /// <summary>The log end the consumer found (a partition EOF) and has not yet told the listener of.</summary>
        public long? End { get; set; }
    }
}
