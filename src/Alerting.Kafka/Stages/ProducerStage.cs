using System.Collections.Concurrent;
using Akka.Streams;
using Akka.Streams.Stage;
using Alerting.Kafka.Helpers;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;
using Confluent.Kafka;

namespace Alerting.Kafka.Stages;

/// <summary>
/// The producer flow: sends the records of each envelope with one <see cref="IProducer{TKey,TValue}"/> (built when
/// the stage starts, disposed when it stops) and emits one result per envelope, in the envelopes' order, once every
/// record of it is acknowledged (a pass-through envelope's result waits for the envelopes before it). Pulls while
/// fewer than <c>parallelism</c> envelopes are in flight. Completes when upstream has completed and every delivery
/// is acknowledged and emitted. Fails, as Akka.Streams.Kafka does by default, on the first delivery error or
/// refused send; on failure or cancellation it waits up to <c>flush-timeout</c> for outstanding deliveries.
/// </summary>
internal sealed class ProducerStage<TKey, TValue, TPassThrough>
    : GraphStage<FlowShape<IEnvelope<TKey, TValue, TPassThrough>, IResults<TKey, TValue, TPassThrough>>>
{
    private readonly ProducerSettings<TKey, TValue> _settings;

    public ProducerStage(ProducerSettings<TKey, TValue> settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (string.IsNullOrEmpty(settings.Properties.GetValueOrDefault("bootstrap.servers")))
        {
            throw new ArgumentException("The producer settings have no bootstrap.servers.", nameof(settings));
        }

        _settings = settings;
        Shape = new FlowShape<IEnvelope<TKey, TValue, TPassThrough>, IResults<TKey, TValue, TPassThrough>>(In, Out);
    }

    public Inlet<IEnvelope<TKey, TValue, TPassThrough>> In { get; } = new("KafkaProducer.in");

    public Outlet<IResults<TKey, TValue, TPassThrough>> Out { get; } = new("KafkaProducer.out");

    public override FlowShape<IEnvelope<TKey, TValue, TPassThrough>, IResults<TKey, TValue, TPassThrough>> Shape { get; }

    protected override Attributes InitialAttributes => Attributes.CreateName("KafkaProducer");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    /// <summary>An envelope in flight: its records' reports arrive in any order; it is emitted when all did.</summary>
    private sealed class Slot(IEnvelope<TKey, TValue, TPassThrough> envelope, int records)
    {
        public IEnvelope<TKey, TValue, TPassThrough> Envelope { get; } = envelope;

        public DeliveryReport<TKey, TValue>?[] Reports { get; } = new DeliveryReport<TKey, TValue>?[records];

        public int Outstanding { get; set; } = records;
    }

    private sealed class Logic : InAndOutGraphStageLogic
    {
        private readonly ProducerStage<TKey, TValue, TPassThrough> _stage;
        private readonly string _client;
        private readonly Queue<Slot> _inFlight = new();
        private readonly ConcurrentQueue<(Slot Slot, int Index, DeliveryReport<TKey, TValue> Report)> _reports = new();
        private IProducer<TKey, TValue>? _producer;
        private Action? _onReports;
        private int _drainScheduled;
        private int _outstandingRecords;
        private volatile bool _stopped;

        public Logic(ProducerStage<TKey, TValue, TPassThrough> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            _client = stage._settings.Properties.GetValueOrDefault("client.id") is { Length: > 0 } id ? id : "producer";
            SetHandler(stage.In, this);
            SetHandler(stage.Out, this);
        }

        public override void PreStart()
        {
            _onReports = GetAsyncCallback(DrainReports);
            var settings = _stage._settings;
            var builder = KafkaClients.ProducerBuilder<TKey, TValue>(settings.ToProducerConfig())
                .SetErrorHandler((_, error) => KafkaLog.ClientError(settings.Logger, _client, error))
                .SetLogHandler((_, message) =>
                {
                    if (message.Level <= SyslogLevel.Warning)
                    {
                        KafkaLog.ClientLog(settings.Logger, _client, message.Facility, message.Message);
                    }
                });
            if (settings.KeySerializer is { } key)
            {
                builder.SetKeySerializer(key);
            }

            if (settings.ValueSerializer is { } value)
            {
                builder.SetValueSerializer(value);
            }

            _producer = builder.Build();
            Pull(_stage.In);
        }

        public override void OnPush()
        {
            var envelope = Grab(_stage.In);
            switch (envelope)
            {
                case Message<TKey, TValue, TPassThrough> single:
                    Send(new Slot(envelope, 1), [single.Record]);
                    break;
                case MultiMessage<TKey, TValue, TPassThrough> multi:
                    Send(new Slot(envelope, multi.Records.Count), multi.Records);
                    break;
                case PassThroughMessage<TKey, TValue, TPassThrough>:
                    _inFlight.Enqueue(new Slot(envelope, 0));
                    break;
                default:
                    throw new ArgumentException($"Unknown envelope {envelope.GetType().Name}.");
            }

            EmitCompleted();
            PullIfRoom();
        }

        public override void OnUpstreamFinish()
        {
            if (_inFlight.Count == 0)
            {
                CompleteStage();
            }
        }

        public override void OnPull()
        {
            EmitCompleted();
            PullIfRoom();
        }

        public override void PostStop()
        {
            _stopped = true;
            var producer = _producer;
            if (producer is null)
            {
                return;
            }

            if (Volatile.Read(ref _outstandingRecords) > 0)
            {
                var left = producer.Flush(_stage._settings.FlushTimeout);
                if (left > 0)
                {
                    KafkaLog.FlushIncomplete(_stage._settings.Logger, _client, left, _stage._settings.FlushTimeout);
                }
            }

            producer.Dispose();
        }

        private void Send(Slot slot, IReadOnlyList<ProducerRecord<TKey, TValue>> records)
        {
            _inFlight.Enqueue(slot);
            for (var i = 0; i < records.Count; i++)
            {
                var record = records[i];
                var index = i;
                var partition = record.Partition is { } p ? new Partition(p) : Partition.Any;
                try
                {
                    Interlocked.Increment(ref _outstandingRecords);
                    _producer!.Produce(new TopicPartition(record.Topic, partition), record.Message, report => OnReport(slot, index, report));
                }
                catch (Exception e)
                {
                    Interlocked.Decrement(ref _outstandingRecords);
                    KafkaLog.ProduceFailed(_stage._settings.Logger, _client, record.Topic, e);
                    throw;
                }
            }
        }

        /// <summary>On the client's delivery thread: queue the report and wake the stage once per batch of reports.</summary>
        private void OnReport(Slot slot, int index, DeliveryReport<TKey, TValue> report)
        {
            Interlocked.Decrement(ref _outstandingRecords);
            if (_stopped)
            {
                return;
            }

            _reports.Enqueue((slot, index, report));
            if (Interlocked.Exchange(ref _drainScheduled, 1) == 0)
            {
                _onReports!();
            }
        }

        private void DrainReports()
        {
            Volatile.Write(ref _drainScheduled, 0);
            while (_reports.TryDequeue(out var entry))
            {
                var (slot, index, report) = entry;
                if (report.Error.IsError)
                {
                    KafkaLog.DeliveryFailed(_stage._settings.Logger, _client, report.Topic, report.Error.Reason);
                    FailStage(new ProduceException<TKey, TValue>(report.Error, report));
                    return;
                }

                slot.Reports[index] = report;
                slot.Outstanding--;
            }

            EmitCompleted();
            PullIfRoom();
            if (IsClosed(_stage.In) && _inFlight.Count == 0)
            {
                CompleteStage();
            }
        }

        private void EmitCompleted()
        {
            if (!IsAvailable(_stage.Out) || _inFlight.Count == 0 || _inFlight.Peek().Outstanding > 0)
            {
                return;
            }

            var slot = _inFlight.Dequeue();
            Push(_stage.Out, ToResult(slot));
            if (IsClosed(_stage.In) && _inFlight.Count == 0)
            {
                CompleteStage();
            }
        }

        private void PullIfRoom()
        {
            if (!IsClosed(_stage.In) && !HasBeenPulled(_stage.In) && _inFlight.Count < _stage._settings.Parallelism)
            {
                Pull(_stage.In);
            }
        }

        private static IResults<TKey, TValue, TPassThrough> ToResult(Slot slot) => slot.Envelope switch
        {
            Message<TKey, TValue, TPassThrough> single => new Result<TKey, TValue, TPassThrough>(slot.Reports[0]!, single),
            MultiMessage<TKey, TValue, TPassThrough> multi => new MultiResult<TKey, TValue, TPassThrough>(
                multi.Records.Select((r, i) => new MultiResultPart<TKey, TValue>(slot.Reports[i]!, r)).ToList(), multi.PassThrough),
            _ => new PassThroughResult<TKey, TValue, TPassThrough>(slot.Envelope.PassThrough),
        };
    }
}
