using System.Threading.Channels;
using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

public sealed partial class KafkaConsumerSource
{
    /// <summary>
    /// One materialization: the consumer and its polling thread. Everything that touches the consumer (consume,
    /// pause, resume, commit, close, the rebalance callbacks) runs on that thread; other threads only raise flags.
    /// </summary>
    private sealed class ConsumerRun(KafkaConsumerSource owner)
    {
        private readonly KafkaConsumerSettings _settings = owner._settings;
        private readonly KafkaConsumerCounters _counters = owner.Counters;
        private readonly Dictionary<TopicPartition, PartitionState> _partitions = [];
        private readonly Lock _gate = new();
        private readonly TaskCompletionSource _completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _stop;
        private volatile bool _drainRequested;
        private DateTimeOffset _drainDeadline;
        private bool _draining;
        private volatile KafkaException? _fatal;
        private int _paused;

        public Channel<AssignedPartition> Partitions { get; } = Channel.CreateUnbounded<AssignedPartition>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

        /// <summary>Completes (never faults) when the polling thread has finished.</summary>
        public Task Completion => _completion.Task;

        public void Start() =>
            _ = Task.Factory.StartNew(Loop, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        public void RequestStop() => _stop = true;

        public void RequestDrain(DateTimeOffset deadline)
        {
            lock (_gate)
            {
                _drainDeadline = deadline;
            }

            _drainRequested = true;
        }

        public IReadOnlyList<AssignedPartition> Snapshot()
        {
            lock (_gate)
            {
                return _partitions.Values.Select(s => s.Public).ToArray();
            }
        }

        private void Loop()
        {
            Exception? failure = null;
            IConsumer<byte[]?, byte[]?>? consumer = null;
            var clock = _settings.TimeProvider;
            try
            {
                consumer = Build();
                consumer.Subscribe(owner._topics);
                var nextCommit = clock.GetUtcNow() + _settings.CommitInterval;
                while (!_stop)
                {
                    if (_fatal is { } fatal)
                    {
                        throw fatal;
                    }

                    if (_drainRequested)
                    {
                        StopTakingInput(consumer);
                        DateTimeOffset deadline;
                        lock (_gate)
                        {
                            deadline = _drainDeadline;
                        }

                        if (AllDone() || clock.GetUtcNow() >= deadline)
                        {
                            break;
                        }
                    }
                    else if (_paused > 0)
                    {
                        ResumeDrained(consumer);
                    }

                    if (clock.GetUtcNow() >= nextCommit)
                    {
                        CommitAll(consumer);
                        nextCommit = clock.GetUtcNow() + _settings.CommitInterval;
                    }

                    ConsumeResult<byte[]?, byte[]?>? record;
                    try
                    {
                        record = consumer.Consume(_settings.PollTimeout);
                    }
                    catch (ConsumeException e) when (!e.Error.IsFatal)
                    {
                        Interlocked.Increment(ref _counters._consumeErrors);
                        LogConsumeError(owner._log, e.Error.Reason);
                        continue;
                    }

                    if (record is not null && !record.IsPartitionEOF)
                    {
                        Dispatch(consumer, record);
                    }
                }

                // A final commit can be rejected while a rebalance is in progress: keep polling (taking no input) so
                // the rebalance completes, and retry until the stop timeout.
                StopTakingInput(consumer);
                var stopDeadline = clock.GetUtcNow() + _settings.StopTimeout;
                while (!CommitAll(consumer) && clock.GetUtcNow() < stopDeadline && _fatal is null)
                {
                    try
                    {
                        consumer.Consume(_settings.PollTimeout);
                    }
                    catch (ConsumeException e) when (!e.Error.IsFatal)
                    {
                        Interlocked.Increment(ref _counters._consumeErrors);
                    }
                }

                // Close leaves the group at once; the revoke callback commits again and completes the substreams.
                consumer.Close();
            }
#pragma warning disable CA1031 // the failure goes to the source and its substreams
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
                LogFailed(owner._log, ex);
            }
            finally
            {
                lock (_gate)
                {
                    foreach (var state in _partitions.Values)
                    {
                        state.Tracker.Revoke();
                        state.Public.Close(failure);
                    }

                    _partitions.Clear();
                }

                Partitions.Writer.TryComplete(failure);
                consumer?.Dispose();
                _completion.TrySetResult();
            }
        }

        private IConsumer<byte[]?, byte[]?> Build() =>
            KafkaClients.ConsumerBuilder<byte[]?, byte[]?>(_settings.Config)
                .SetPartitionsAssignedHandler(OnAssigned)
                .SetPartitionsRevokedHandler(OnRevoked)
                .SetPartitionsLostHandler(OnLost)
                .SetErrorHandler((_, e) =>
                {
                    if (e.IsFatal)
                    {
                        _fatal = new KafkaException(e);
                    }
                })
                .SetLogHandler((_, m) =>
                {
                    if (m.Message.Contains("offset reset", StringComparison.OrdinalIgnoreCase))
                    {
                        Interlocked.Increment(ref _counters._offsetResets);
                    }
                })
                .Build();

        private void Dispatch(IConsumer<byte[]?, byte[]?> consumer, ConsumeResult<byte[]?, byte[]?> record)
        {
            Interlocked.Increment(ref _counters._records);
            var tp = record.TopicPartition;
            var offset = record.Offset.Value;
            if (owner._highestTaken.TryGetValue(tp, out var highest) && offset <= highest)
            {
                Interlocked.Increment(ref _counters._repeated);
            }
            else
            {
                owner._highestTaken[tp] = offset;
            }

            if (!_partitions.TryGetValue(tp, out var state) || _draining)
            {
                return;
            }

            if (state.Expected >= 0 && offset > state.Expected)
            {
                Interlocked.Increment(ref _counters._gaps);
                Interlocked.Add(ref _counters._skipped, offset - state.Expected);
                LogGap(owner._log, tp.ToString(), state.Expected, offset, offset - state.Expected);
            }

            state.Expected = offset + 1;
            if (state.Stash.Count == 0 && state.Public.Writer.TryWrite(record))
            {
                _counters.ObserveBuffered(state.Public.Buffered);
                return;
            }

            state.Stash.Enqueue(record);
            _counters.ObserveBuffered(state.Public.Buffered + state.Stash.Count);
            if (!state.Public.IsPaused)
            {
                consumer.Pause([tp]);
                state.Public.IsPaused = true;
                _paused++;
                Interlocked.Increment(ref _counters._pauses);
            }
        }

        private void ResumeDrained(IConsumer<byte[]?, byte[]?> consumer)
        {
            foreach (var state in _partitions.Values)
            {
                if (!state.Public.IsPaused || state.Public.Buffered > _settings.PartitionBufferSize / 2)
                {
                    continue;
                }

                while (state.Stash.TryPeek(out var next) && state.Public.Writer.TryWrite(next))
                {
                    state.Stash.Dequeue();
                }

                if (state.Stash.Count == 0)
                {
                    consumer.Resume([state.Public.TopicPartition]);
                    if (state.Expected >= 0)
                    {
                        // librdkafka 2.0.2 can leave a resumed partition without fetching; an explicit seek to the
                        // next offset restarts its fetcher.
                        consumer.Seek(new TopicPartitionOffset(state.Public.TopicPartition, state.Expected));
                    }

                    state.Public.IsPaused = false;
                    _paused--;
                    Interlocked.Increment(ref _counters._resumes);
                }
            }
        }

        private void StopTakingInput(IConsumer<byte[]?, byte[]?> consumer)
        {
            _draining = true;
            foreach (var state in _partitions.Values)
            {
                if (!state.Drained)
                {
                    state.Drained = true;
                    state.Stash.Clear();
                    state.Public.Close(null);
                    if (!state.Public.IsPaused)
                    {
                        consumer.Pause([state.Public.TopicPartition]);
                        state.Public.IsPaused = true;
                    }
                }
            }
        }

        private bool AllDone()
        {
            foreach (var state in _partitions.Values)
            {
                if (state.Tracker.InFlight > 0)
                {
                    return false;
                }
            }

            return true;
        }

        private void OnAssigned(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartition> assigned)
        {
            var committed = new Dictionary<TopicPartition, long>();
            try
            {
                foreach (var tpo in consumer.Committed(assigned, _settings.CommittedLookupTimeout))
                {
                    committed[tpo.TopicPartition] = tpo.Offset.Value;
                }
            }
            catch (KafkaException)
            {
                // Unknown: the first record read sets the expected offset.
            }

            lock (_gate)
            {
                foreach (var tp in assigned)
                {
                    var at = committed.TryGetValue(tp, out var offset) && offset >= 0 ? offset : OffsetTracker.NothingToCommit;
                    var partition = new AssignedPartition(tp, at, _settings.PartitionBufferSize);
                    _partitions[tp] = new PartitionState(partition);
                    Partitions.Writer.TryWrite(partition);
                    Interlocked.Increment(ref _counters._assigned);
                }
            }

            LogRebalance(owner._log, "assigned", string.Join(", ", assigned));
        }

        private void OnRevoked(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> revoked)
        {
            var states = Take(revoked);
            var offsets = new List<TopicPartitionOffset>(states.Count);
            foreach (var state in states)
            {
                var committable = state.Tracker.Revoke();
                if (committable > state.Tracker.LastCommitted)
                {
                    offsets.Add(new TopicPartitionOffset(state.Public.TopicPartition, committable));
                }
            }

            Commit(consumer, offsets, states);
            Close(states);
            Interlocked.Add(ref _counters._revoked, states.Count);
            LogRebalance(owner._log, "revoked", string.Join(", ", revoked.Select(r => r.TopicPartition)));
        }

        private void OnLost(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> lost)
        {
            var states = Take(lost);
            foreach (var state in states)
            {
                state.Tracker.Revoke();
            }

            Close(states);
            Interlocked.Add(ref _counters._lost, states.Count);
            LogRebalance(owner._log, "lost", string.Join(", ", lost.Select(r => r.TopicPartition)));
        }

        private List<PartitionState> Take(List<TopicPartitionOffset> partitions)
        {
            var states = new List<PartitionState>(partitions.Count);
            lock (_gate)
            {
                foreach (var tpo in partitions)
                {
                    if (_partitions.Remove(tpo.TopicPartition, out var state))
                    {
                        states.Add(state);
                    }
                }
            }

            return states;
        }

        private void Close(List<PartitionState> states)
        {
            foreach (var state in states)
            {
                if (state.Public.IsPaused && !state.Drained)
                {
                    _paused--;
                }

                var dropped = state.Public.Close(null) + state.Stash.Count;
                state.Stash.Clear();
                Interlocked.Add(ref _counters._droppedOnRevoke, dropped);
            }
        }

        /// <summary>Commits every partition's committable offset that is ahead of its last commit; false when the commit was rejected.</summary>
        private bool CommitAll(IConsumer<byte[]?, byte[]?> consumer)
        {
            var offsets = new List<TopicPartitionOffset>();
            var states = new List<PartitionState>();
            foreach (var state in _partitions.Values)
            {
                var committable = state.Tracker.Committable;
                if (committable > state.Tracker.LastCommitted)
                {
                    offsets.Add(new TopicPartitionOffset(state.Public.TopicPartition, committable));
                    states.Add(state);
                }
            }

            return Commit(consumer, offsets, states);
        }

        private bool Commit(IConsumer<byte[]?, byte[]?> consumer, List<TopicPartitionOffset> offsets, List<PartitionState> states)
        {
            if (offsets.Count == 0)
            {
                return true;
            }

            try
            {
                consumer.Commit(offsets);
                Interlocked.Increment(ref _counters._commits);
                foreach (var tpo in offsets)
                {
                    states.Find(s => s.Public.TopicPartition == tpo.TopicPartition)?.Tracker.Committed(tpo.Offset.Value);
                }

                return true;
            }
            catch (KafkaException e) when (!e.Error.IsFatal)
            {
                // Rejected (e.g. IllegalGeneration during a rebalance): a later commit or the next owner covers it.
                Interlocked.Increment(ref _counters._commitFailures);
                LogCommitFailed(owner._log, offsets.Count, e.Error.Reason);
                return false;
            }
        }
    }

    /// <summary>What the polling thread keeps per assigned partition.</summary>
    private sealed class PartitionState(AssignedPartition partition)
    {
        public AssignedPartition Public { get; } = partition;

        public OffsetTracker Tracker => Public.Tracker;

        /// <summary>Records that arrived after the buffer was full (the partition is paused until they fit).</summary>
        public Queue<ConsumeResult<byte[]?, byte[]?>> Stash { get; } = new();

        /// <summary>The offset the next record should have; -1 until known.</summary>
        public long Expected { get; set; } = partition.Tracker.CommittedAtAssignment;

        /// <summary>True once the drain has closed this partition's substream.</summary>
        public bool Drained { get; set; }
    }
}
