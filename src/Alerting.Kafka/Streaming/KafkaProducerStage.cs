using Alerting.Streams;
using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>Producer flows and sinks (the role of Akka.Streams.Kafka's <c>KafkaProducer.FlexiFlow</c> and committable sink).</summary>
public static class KafkaProducer
{
    /// <summary>
    /// A flow producing each element with a producer the stage creates from <paramref name="settings"/> (one per
    /// materialization, flushed and disposed when the stage stops); see <see cref="KafkaProducerStage{TPass}"/>.
    /// </summary>
    public static Flow<ProducerMessage<TPass>, ProducerResult<TPass>> FlexiFlow<TPass>(KafkaProducerSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxInFlight, 1, nameof(settings));
        return new((up, ctx) => new KafkaProducerStage<TPass>(
            up, () => KafkaClients.ProducerBuilder<byte[]?, byte[]?>(settings.Config).Build(), ownsProducer: true, settings.MaxInFlight, settings.FlushTimeout, ctx));
    }

    /// <summary>A flow producing each element through a shared <paramref name="producer"/> the caller owns.</summary>
    public static Flow<ProducerMessage<TPass>, ProducerResult<TPass>> FlexiFlow<TPass>(IProducer<byte[]?, byte[]?> producer, int maxInFlight = 1000)
    {
        ArgumentNullException.ThrowIfNull(producer);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxInFlight, 1);
        return new((up, ctx) => new KafkaProducerStage<TPass>(up, () => producer, ownsProducer: false, maxInFlight, TimeSpan.Zero, ctx));
    }

    /// <summary>
    /// A sink producing each element and marking its pass-through <see cref="CommittableOffset"/> done once Kafka has
    /// acknowledged it; the result is the number of acknowledged messages.
    /// </summary>
    public static Sink<ProducerMessage<CommittableOffset>, long> CommittableSink(IProducer<byte[]?, byte[]?> producer, int maxInFlight = 1000)
    {
        var flow = FlexiFlow<CommittableOffset>(producer, maxInFlight);
        return new((up, ctx) => Sink.Aggregate<ProducerResult<CommittableOffset>, long>(0, static (n, r) =>
        {
            r.PassThrough.MarkDone();
            return n + 1;
        }).Run(flow.Apply(up, ctx), ctx));
    }
}

/// <summary>
/// The producer stage: pulls an element only while fewer than <c>maxInFlight</c> messages are unacknowledged,
/// hands it to the idempotent producer at once (librdkafka batches, compresses and retries), and <b>emits</b> a
/// <see cref="ProducerResult{TPass}"/> per element in upstream order as soon as Kafka has acknowledged it and every
/// element before it. <b>Completes</b> when upstream has completed and every delivery is acknowledged.
/// <b>Fails</b> with a <see cref="KafkaException"/> on the first failed delivery (after emitting the acknowledged
/// results before it; librdkafka has already retried what is retriable) or on upstream failure. Cancellation stops
/// pulling; an owned producer is flushed on completion and disposed when the stage stops. Allocation per element:
/// the client's own (message, delivery report); the in-flight slots and their callbacks are allocated once.
/// </summary>
public sealed class KafkaProducerStage<TPass> : IAsyncEnumerable<ProducerResult<TPass>>
{
    private readonly IAsyncEnumerable<ProducerMessage<TPass>> _upstream;
    private readonly Func<IProducer<byte[]?, byte[]?>> _producerFactory;
    private readonly bool _ownsProducer;
    private readonly int _maxInFlight;
    private readonly TimeSpan _flushTimeout;
    private readonly StreamContext _context;

    internal KafkaProducerStage(
        IAsyncEnumerable<ProducerMessage<TPass>> upstream,
        Func<IProducer<byte[]?, byte[]?>> producerFactory,
        bool ownsProducer,
        int maxInFlight,
        TimeSpan flushTimeout,
        StreamContext context)
    {
        _upstream = upstream;
        _producerFactory = producerFactory;
        _ownsProducer = ownsProducer;
        _maxInFlight = maxInFlight;
        _flushTimeout = flushTimeout;
        _context = context;
    }

    /// <inheritdoc />
    public async IAsyncEnumerator<ProducerResult<TPass>> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = _context.Register("KafkaProducer");
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var signal = new Signal();
        var slots = new Slot[_maxInFlight];
        for (var i = 0; i < slots.Length; i++)
        {
            slots[i] = new Slot(signal);
        }

        int head = 0, count = 0;
        IProducer<byte[]?, byte[]?>? producer = null;
        var e = _upstream.GetAsyncEnumerator(cts.Token);
        Task<bool>? pendingPull = null;
        var upstreamDone = false;
        try
        {
            producer = _producerFactory();
            while (true)
            {
                while (count > 0 && slots[head].IsCompleted)
                {
                    var slot = slots[head];
                    head = (head + 1) % slots.Length;
                    count--;
                    if (slot.Error is { } error)
                    {
                        throw new KafkaException(error);
                    }

                    var result = new ProducerResult<TPass>(slot.Topic, slot.Partition, slot.Offset, slot.PassThrough);
                    slot.Reset();
                    yield return result;
                }

                if (upstreamDone && count == 0)
                {
                    break;
                }

                if (!upstreamDone && count < slots.Length)
                {
                    if (pendingPull is null)
                    {
                        var pull = e.MoveNextAsync();
                        if (pull.IsCompletedSuccessfully)
                        {
                            if (pull.Result)
                            {
                                await ProduceAsync(e.Current);
                            }
                            else
                            {
                                upstreamDone = true;
                            }

                            continue;
                        }

                        pendingPull = pull.AsTask();
                    }

                    if (pendingPull.IsCompleted)
                    {
                        await TakePullAsync();
                        continue;
                    }
                }

                var delivered = signal.Arm();
                if (count > 0 && slots[head].IsCompleted)
                {
                    continue;
                }

                if (pendingPull is not null && count < slots.Length)
                {
                    await Task.WhenAny(pendingPull, delivered).WaitAsync(cancellationToken);
                    if (pendingPull.IsCompleted)
                    {
                        await TakePullAsync();
                    }
                }
                else
                {
                    await delivered.WaitAsync(cancellationToken);
                }
            }

            if (_ownsProducer)
            {
                producer.Flush(_flushTimeout);
            }
        }
        finally
        {
            await cts.CancelAsync();
            if (pendingPull is not null)
            {
                await ((Task)pendingPull).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }

            try
            {
                await e.DisposeAsync();
            }
            finally
            {
                if (_ownsProducer)
                {
                    producer?.Dispose();
                }

                cts.Dispose();
                lifetime.Stop();
            }
        }

        async Task TakePullAsync()
        {
            var has = await pendingPull!;
            pendingPull = null;
            if (has)
            {
                await ProduceAsync(e.Current);
            }
            else
            {
                upstreamDone = true;
            }
        }

        async ValueTask ProduceAsync(ProducerMessage<TPass> element)
        {
            var slot = slots[(head + count) % slots.Length];
            slot.Start(element.Topic, element.PassThrough);
            count++;
            while (true)
            {
                try
                {
                    producer!.Produce(element.Topic, element.Message, slot.Handler);
                    return;
                }
                catch (ProduceException<byte[]?, byte[]?> ex) when (ex.Error.Code == ErrorCode.Local_QueueFull)
                {
                    // The client's queue is shared with other users of the producer: wait for it to drain a little.
                    await Task.Delay(TimeSpan.FromMilliseconds(5), _context.TimeProvider, cts.Token);
                }
            }
        }
    }

    /// <summary>One in-flight message; reused, with its delivery callback allocated once.</summary>
    private sealed class Slot
    {
        private int _completed;

        public Slot(Signal signal)
        {
            Handler = report =>
            {
                if (report.Error.IsError)
                {
                    Error = report.Error;
                }
                else
                {
                    Partition = report.Partition.Value;
                    Offset = report.Offset.Value;
                }

                Volatile.Write(ref _completed, 1);
                signal.Set();
            };
        }

        public Action<DeliveryReport<byte[]?, byte[]?>> Handler { get; }

        public string Topic { get; private set; } = "";

        public TPass PassThrough { get; private set; } = default!;

        public int Partition { get; private set; }

        public long Offset { get; private set; }

        public Error? Error { get; private set; }

        public bool IsCompleted => Volatile.Read(ref _completed) == 1;

        public void Start(string topic, TPass passThrough)
        {
            Topic = topic;
            PassThrough = passThrough;
            Error = null;
            Volatile.Write(ref _completed, 0);
        }

        public void Reset()
        {
            PassThrough = default!;
            Volatile.Write(ref _completed, 0);
        }
    }

    /// <summary>Wakes the stage when a delivery report arrives; a new wait handle only after one was used.</summary>
    private sealed class Signal
    {
        private TaskCompletionSource _current = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task Arm()
        {
            var current = Volatile.Read(ref _current);
            if (!current.Task.IsCompleted)
            {
                return current.Task;
            }

            var fresh = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Interlocked.Exchange(ref _current, fresh);
            return fresh.Task;
        }

        public void Set()
        {
            Interlocked.MemoryBarrier();
            Volatile.Read(ref _current).TrySetResult();
        }
    }
}
