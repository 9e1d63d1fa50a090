using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Stage;

namespace Alerting.Events;

/// <summary>
/// The watermark stage of one partition's substream (co-partitioned topics share it): decoded events in, an
/// event-time stream of <see cref="Timed"/> elements out (<see cref="Out"/>), too-late events on a late outlet
/// (<see cref="Late"/>). A shell around a <see cref="WatermarkTracker"/> built per materialization from
/// <see cref="PartitionWatermarkSettings"/>, with the clamp and idle advance on.
/// <para>
/// <b>Emits</b> each on-time event as is and each late event (behind the watermark, within the allowed lateness)
/// flagged <see cref="DeviceEvent.IsLate"/>, in arrival order: it does not reorder; the matcher releases events
/// in event-time order once a watermark passes them. After any event or timer tick that advanced the watermark it
/// emits a watermark element; watermarks only grow, and a watermark waiting for demand is replaced by a newer
/// one. Each event further behind goes to <see cref="Late"/> as a <see cref="LateEvent"/>, counted. The time an
/// event feeds to the watermark is clamped to wall clock + <see cref="PartitionWatermarkSettings.MaxClockSkew"/>.
/// A timer (the materializer's scheduler) wakes the stage when a topic of the partition may have gone idle and,
/// while one is idle, every <see cref="PartitionWatermarkSettings.IdleTick"/>, so the watermark moves on with the
/// wall clock and absence timers downstream fire without new events. With
/// <see cref="PartitionWatermarkSettings.ResumeFrom"/> the first element is that watermark.
/// </para>
/// <para>
/// <b>Idle confirmation.</b> Given an <see cref="IdleConfirmation"/>, quiet is not taken on trust: at each tick while a
/// topic partition is idle the stage asks the broker for the idle ones' log ends (one question at a time, off the
/// stream's thread; the answer comes back through an async callback; a tick that finds a question outstanding asks
/// again once its answer is in) and compares each with the partition's
/// <see cref="ReadProgress"/> at the answer: every record before the log end taken and accounted for (this stage
/// settles each event it takes) confirms the partition caught up as of the moment the question was asked. An idle
/// partition's watermark moves on only up to its last confirmed moment, and it stops holding the watermark back
/// only while its latest answer confirmed it; a backlog, a record on its way or no answer (a failed probe, logged
/// and counted by the probe) leaves it holding the watermark where it is. So a partition whose fetches fail, or
/// whose records wait behind backpressure, never has its watermark moved past records it has not read.
/// </para>
/// <para>
/// <b>Pulls</b> when it holds nothing for either outlet and one of them has demand (at most one event and one
/// watermark, or one late event, wait for demand). <b>Completes</b> when upstream completes, after what it holds
/// and, with <see cref="PartitionWatermarkSettings.EmitFinalWatermark"/>, a final watermark of
/// <see cref="long.MaxValue"/>. <b>Cancels</b> upstream when either outlet cancels. <b>Fails</b> with upstream's
/// failure, dropping what it holds (the partition is replayed from its checkpoint). The wall clock is the
/// <see cref="TimeProvider"/> given, else the scheduler's clock, so Akka's TestScheduler drives both the timer and
/// the idleness in tests.
/// </para>
/// </summary>
public sealed class PartitionWatermarkStage : GraphStage<FanOutShape<DeviceEvent, Timed, LateEvent>>
{
    private readonly PartitionWatermarkSettings _settings;
    private readonly TimeProvider? _time;
    private readonly EventTimeCounters? _counters;
    private readonly IdleConfirmation? _confirmation;

    /// <param name="settings">The partition's watermark settings.</param>
    /// <param name="time">The wall clock of the clamp and of idleness; the materializer's scheduler clock when null.</param>
    /// <param name="counters">Counters to move (late, too late, clamped); none when null.</param>
    /// <param name="confirmation">
    /// How to confirm an idle partition caught up before its watermark moves on; null trusts quiet (for sources
    /// without a broker to ask, e.g. a bounded replay).
    /// </param>
    public PartitionWatermarkStage(PartitionWatermarkSettings settings, TimeProvider? time = null, EventTimeCounters? counters = null, IdleConfirmation? confirmation = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.IdleTick, TimeSpan.Zero, nameof(settings));
        _settings = settings;
        _time = time;
        _counters = counters;
        _confirmation = confirmation;
        Shape = new FanOutShape<DeviceEvent, Timed, LateEvent>(In, Out, Late);
    }

    /// <summary>Decoded events of the partition.</summary>
    public Inlet<DeviceEvent> In { get; } = new("watermark.in");

    /// <summary>Events and watermarks.</summary>
    public Outlet<Timed> Out { get; } = new("watermark.out");

    /// <summary>Events too far behind the watermark.</summary>
    public Outlet<LateEvent> Late { get; } = new("watermark.late");

    public override FanOutShape<DeviceEvent, Timed, LateEvent> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("partition-watermark");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string TimerKey = "idle";
        private readonly PartitionWatermarkStage _stage;
        private TimeProvider _clock = TimeProvider.System;
        private WatermarkTracker _tracker = null!;
        private DeviceEvent? _event;
        private LateEvent? _late;
        private long _watermark = WatermarkTracker.NoWatermark;
        private long _emitted = WatermarkTracker.NoWatermark;
        private long _clamped;
        private bool _armed;
        private bool _upstreamDone;
        private bool _probing;
        private bool _probeDue;
        private Action<Probed>? _onProbed;
        private readonly CancellationTokenSource _stopping = new();

        public Logic(PartitionWatermarkStage stage)
            : base(stage.Shape)
        {
            _stage = stage;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish);
            SetHandler(stage.Out, onPull: Drain);
            SetHandler(stage.Late, onPull: Drain);
        }

        public override void PreStart()
        {
            _clock = _stage._time
                ?? (Materializer is ActorMaterializer materializer ? new SchedulerClock(materializer.System.Scheduler) : TimeProvider.System);
            var settings = _stage._settings;
            _tracker = settings.CreateTracker(_clock, requireConfirmation: _stage._confirmation is not null);
            if (_stage._confirmation is not null)
            {
                _onProbed = GetAsyncCallback<Probed>(OnProbed);
            }

            foreach (var (topic, partition) in settings.Partitions)
            {
                _tracker.Register(topic, partition);
            }

            if (settings.ResumeFrom is { } resume)
            {
                _tracker.RaiseTo(resume);
                Advanced();
            }

            Arm();
        }

        private void OnPush()
        {
            var ev = Grab(_stage.In);
            var before = _tracker.Watermark;
            var counters = _stage._counters;
            switch (_tracker.Observe(ev))
            {
                case Lateness.OnTime:
                    _event = ev;
                    break;
                case Lateness.Late:
                    _event = ev.AsLate();
                    counters?.AddLate();
                    break;
                default:
                    _late = new LateEvent(ev, before, LateBy.Watermark);
                    counters?.AddTooLate();
                    break;
            }

            _stage._confirmation?.ProgressOf(ev.Topic, ev.Partition)?.Settled(); // the tracker has seen it

            if (counters is not null && _tracker.ClampedEvents != _clamped)
            {
                counters.AddClamped(_tracker.ClampedEvents - _clamped);
                _clamped = _tracker.ClampedEvents;
            }

            Advanced();
            if (!_armed)
            {
                Arm();
            }

            Drain();
        }

        private void OnUpstreamFinish()
        {
            _upstreamDone = true;
            if (_stage._settings.EmitFinalWatermark && _emitted != long.MaxValue)
            {
                _watermark = long.MaxValue;
                _emitted = long.MaxValue;
            }

            Drain();
        }

        protected override void OnTimer(object timerKey)
        {
            _armed = false;
            _tracker.Refresh();
            // the next tick is due whatever the answer: armed before the question goes out, so that whoever sees the
            // question (a spec's clock advanced as soon as it does) finds the next tick already scheduled
            Arm();
            Probe();
            Advanced();
            Drain();
        }

        public override void PostStop() => _stopping.Cancel();

        // asks the broker for the idle partitions' log ends, one question at a time; the answer comes back as OnProbed
        private void Probe()
        {
            if (_stage._confirmation is not { } confirmation || _tracker.IdlePartitions == 0)
            {
                return;
            }

            if (_probing)
            {
                _probeDue = true; // asked once the outstanding answer is in
                return;
            }

            var asked = _tracker.IdlePartitionList;
            var asOf = _clock.GetUtcNow(); // before the question: the answer holds at least from here
            var partitions = asked.Select(p => new Confluent.Kafka.TopicPartition(p.Topic, p.Partition)).ToList();
            Task<IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long>> answer;
            try
            {
                answer = confirmation.Probe.LogEndsAsync(partitions, _stopping.Token);
            }
            catch (Exception e)
            {
                answer = Task.FromException<IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long>>(e);
            }

            _probing = true;
            var callback = _onProbed!;
            answer.ContinueWith(
                done => callback(new Probed(asOf, asked, done)),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        private void OnProbed(Probed probed)
        {
            _probing = false;
            var confirmation = _stage._confirmation!;
            var due = _probeDue;
            _probeDue = false;
            IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long>? answered = null;
            if (probed.Answer.IsCompletedSuccessfully)
            {
                answered = probed.Answer.Result;
            }
            else
            {
                _ = probed.Answer.Exception; // observed here; the probe logged and counted the failure
            }

            foreach (var (topic, partition) in probed.Asked)
            {
                var progress = confirmation.ProgressOf(topic, partition);
                if (answered is not null
                    && answered.TryGetValue(new Confluent.Kafka.TopicPartition(topic, partition), out var logEnd)
                    && progress is not null
                    && progress.CaughtUpTo(logEnd))
                {
                    _tracker.ConfirmCaughtUp(topic, partition, probed.AsOf);
                }
                else
                {
                    _tracker.NotCaughtUp(topic, partition);
                }
            }

            if (due)
            {
                Probe();
            }

            Advanced();
            if (!_armed)
            {
                Arm();
            }

            Drain();
        }

        // a watermark waiting for demand is replaced by a newer one
        private void Advanced()
        {
            if (_tracker.Watermark > _emitted)
            {
                _emitted = _tracker.Watermark;
                _watermark = _emitted;
            }
        }

        private void Arm()
        {
            var next = _tracker.NextIdleCheck;
            var now = _clock.GetUtcNow();
            if (_tracker.IdleAdvance && _tracker.IdlePartitions > 0)
            {
                var tick = now + _stage._settings.IdleTick;
                if (next is null || tick < next)
                {
                    next = tick;
                }
            }

            if (next is not { } at)
            {
                return;
            }

            var due = at - now;
            ScheduleOnce(TimerKey, due < TimeSpan.Zero ? TimeSpan.Zero : due);
            _armed = true;
        }

        private void Drain()
        {
            if (IsAvailable(_stage.Out))
            {
                if (_event is { } ev)
                {
                    _event = null;
                    Push(_stage.Out, Timed.Of(ev));
                }
                else if (_watermark != WatermarkTracker.NoWatermark)
                {
                    var wm = _watermark;
                    _watermark = WatermarkTracker.NoWatermark;
                    Push(_stage.Out, Timed.OfWatermark(wm));
                }
            }

            if (_late is { } late && IsAvailable(_stage.Late))
            {
                _late = null;
                Push(_stage.Late, late);
            }

            if (_event is not null || _late is not null || _watermark != WatermarkTracker.NoWatermark)
            {
                return;
            }

            if (_upstreamDone)
            {
                CompleteStage();
            }
            else if (!HasBeenPulled(_stage.In) && (IsAvailable(_stage.Out) || IsAvailable(_stage.Late)))
            {
                Pull(_stage.In);
            }
        }
    }

    /// <summary>An answer of the broker (or its failure) to the question asked at <paramref name="AsOf"/> about <paramref name="Asked"/>.</summary>
    private sealed record Probed(DateTimeOffset AsOf, IReadOnlyList<(string Topic, int Partition)> Asked, Task<IReadOnlyDictionary<Confluent.Kafka.TopicPartition, long>> Answer);

    /// <summary>The scheduler's wall clock as a <see cref="TimeProvider"/> (Akka's TestScheduler moves it in tests).</summary>
    private sealed class SchedulerClock(IScheduler scheduler) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => scheduler.Now;
    }
}
