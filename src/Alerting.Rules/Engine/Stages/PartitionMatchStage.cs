using Akka.Streams;
using Akka.Streams.Stage;
using Alerting.Events;

namespace Alerting.Rules;

/// <summary>
/// The match stage of one partition's substream: an event-time stream of <see cref="Timed"/> elements in,
/// <see cref="AlertEvent"/>s out (<see cref="Alerts"/>), refused events on a late outlet (<see cref="Late"/>). A
/// shell around one <see cref="RuleEngine"/> per materialization, made by the factory given (which restores the
/// partition's checkpoint into it, if any, and moves it to the checkpoint's watermark); the stage uses the engine's
/// public API only and owns it: nothing else may touch it once the stage runs.
/// <para>
/// <b>Emits</b> each Generate and Revoke the engine produces, in the engine's order: an event is buffered by the
/// engine and matched once a watermark passes it, a watermark releases the buffered events at or before it in
/// event-time order and fires the absence timers that are due (the watermark stage's idle ticks move it without
/// new events). An event the engine refuses (behind what it has released by more than its allowed lateness) goes
/// to <see cref="Late"/> as a <see cref="LateEvent"/> with the engine's watermark, counted; none vanishes. The
/// materialized <see cref="IPartitionMatchControl"/> answers snapshot requests between elements. With live rule sets,
/// a watermark that reaches a new version's effective time first matches what is before it under the old set, then
/// swaps (see the <c>live</c> parameter).
/// </para>
/// <para>
/// <b>Pulls</b> only when every alert and late event of the previous element has been pushed and an outlet has
/// demand, so a watermark that releases many alerts backpressures upstream until they are taken.
/// <b>Completes</b> when upstream completes, after what it holds; with <c>flushOnComplete</c> (bounded replays) the
/// engine is first flushed to the end of time, firing every pending timer; a live partition completing (stop,
/// revocation) is not flushed: it takes a final snapshot (<see cref="IPartitionMatchControl.FinalSnapshot"/>) after
/// its last element, and its next owner goes on from the checkpoint made of it. <b>Cancels</b> upstream when either
/// outlet cancels. <b>Fails</b> with upstream's failure, or with an engine exception, dropping what it holds (the
/// partition is replayed from its last checkpoint); pending snapshot requests then fail.
/// </para>
/// </summary>
public sealed class PartitionMatchStage : GraphStageWithMaterializedValue<FanOutShape<Timed, AlertEvent, LateEvent>, IPartitionMatchControl>
{
    private readonly Func<RuleEngine> _createEngine;
    private readonly bool _flushOnComplete;
    private readonly EventTimeCounters? _counters;
    private readonly Live.LiveRuleSets? _live;
    private readonly Action<Live.LiveRuleSet, SwapResult>? _onSwap;

    /// <param name="createEngine">Makes the partition's engine (restored from its checkpoint, if any) when the stage starts.</param>
    /// <param name="flushOnComplete">Flush the engine when upstream completes (bounded replays); off for live partitions.</param>
    /// <param name="counters">Counters to move (events refused by the matcher); none when null.</param>
    /// <param name="live">
    /// The rule-set versions to follow: before each watermark, every version newer than the engine's (whose
    /// <see cref="RuleSet.Version"/> is then its live version) that is due at that watermark is put in force at its
    /// effective time (<see cref="RuleEngine.SwapRules"/>), one after the other; snapshots carry the version in force.
    /// None: the engine keeps its set.
    /// </param>
    /// <param name="onSwap">Told of each swap, on the stage's thread (logs, metrics); must not throw.</param>
    public PartitionMatchStage(Func<RuleEngine> createEngine, bool flushOnComplete = false, EventTimeCounters? counters = null, Live.LiveRuleSets? live = null, Action<Live.LiveRuleSet, SwapResult>? onSwap = null)
    {
        ArgumentNullException.ThrowIfNull(createEngine);
        _createEngine = createEngine;
        _flushOnComplete = flushOnComplete;
        _counters = counters;
        _live = live;
        _onSwap = onSwap;
        Shape = new FanOutShape<Timed, AlertEvent, LateEvent>(In, Alerts, Late);
    }

    /// <summary>Events and watermarks of the partition.</summary>
    public Inlet<Timed> In { get; } = new("match.in");

    /// <summary>Generates and Revokes.</summary>
    public Outlet<AlertEvent> Alerts { get; } = new("match.alerts");

    /// <summary>Events the matcher refused.</summary>
    public Outlet<LateEvent> Late { get; } = new("match.late");

    public override FanOutShape<Timed, AlertEvent, LateEvent> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("partition-match");

    public override ILogicAndMaterializedValue<IPartitionMatchControl> CreateLogicAndMaterializedValue(Attributes inheritedAttributes)
    {
        var control = new Control();
        return new LogicAndMaterializedValue<IPartitionMatchControl>(new Logic(this, control), control);
    }

    private sealed class Logic : GraphStageLogic
    {
        private readonly PartitionMatchStage _stage;
        private readonly Control _control;
        private readonly List<AlertEvent> _alerts = [];
        private readonly Dictionary<SourcePartition, long> _positions = [];
        private RuleEngine _engine = null!;
        private int _nextAlert;
        private LateEvent? _late;
        private bool _upstreamDone;
        private SourcePartition _lastPartition;
        private bool _hasLast;
        private long _generated;

        public Logic(PartitionMatchStage stage, Control control)
            : base(stage.Shape)
        {
            _stage = stage;
            _control = control;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish);
            SetHandler(stage.Alerts, onPull: Drain);
            SetHandler(stage.Late, onPull: Drain);
        }

        public override void PreStart()
        {
            try
            {
                _engine = _stage._createEngine() ?? throw new InvalidOperationException("the engine factory returned null");
            }
            catch
            {
                _control.Detach(); // nobody waits for a stage that never ran
                throw;
            }

            _control.Attach(GetAsyncCallback<TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>>(Snapshot));
        }

        public override void PostStop() => _control.Detach();

        private void OnPush()
        {
            var element = Grab(_stage.In);
            var before = _alerts.Count;
            var dropped = _engine.PartialMatchesDropped;
            if (element.IsWatermark)
            {
                SwapDue(element.Watermark);
                _engine.OnWatermark(element.Watermark, _alerts);
            }
            else
            {
                var ev = element.Event!;
                Track(ev);
                var refused = _engine.TooLateEvents;
                _engine.OnEvent(ev, _alerts);
                if (_engine.TooLateEvents != refused)
                {
                    _late = new LateEvent(ev, _engine.Watermark, LateBy.Matcher);
                    _generated++;
                    _stage._counters?.AddRefusedByMatcher();
                }
            }

            if (_engine.PartialMatchesDropped != dropped)
            {
                _stage._counters?.AddPartialMatchesDropped(_engine.PartialMatchesDropped - dropped);
            }

            _generated += _alerts.Count - before;
            Drain();
        }

        private void OnUpstreamFinish()
        {
            _upstreamDone = true;
            if (_stage._flushOnComplete)
            {
                SwapDue(long.MaxValue);
                _engine.Flush(_alerts);
            }
            else
            {
                var final = new TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>(TaskCreationOptions.RunContinuationsAsynchronously);
                Snapshot(final);
                _control.SetFinal(final.Task);
            }

            Drain();
        }

        // puts in force, at their effective times, the live versions due at this watermark
        private void SwapDue(long watermark)
        {
            if (_stage._live is not { } live)
            {
                return;
            }

            while (live.NextDue(_engine.Rules.Version, watermark) is { } due)
            {
                var swap = _engine.SwapRules(due.Rules, due.EffectiveAt, _alerts);
                _stage._onSwap?.Invoke(due, swap);
            }
        }

        private void Track(DeviceEvent ev)
        {
            if (ev.Offset < 0)
            {
                return;
            }

            if (!_hasLast || _lastPartition.Partition != ev.Partition || !ReferenceEquals(_lastPartition.Topic, ev.Topic))
            {
                _lastPartition = new SourcePartition(ev.Topic, ev.Partition);
                _hasLast = true;
            }

            if (!_positions.TryGetValue(_lastPartition, out var position) || ev.Offset >= position)
            {
                _positions[_lastPartition] = ev.Offset + 1;
            }
        }

        private void Drain()
        {
            if (_nextAlert < _alerts.Count && IsAvailable(_stage.Alerts))
            {
                Push(_stage.Alerts, _alerts[_nextAlert++]);
                if (_nextAlert == _alerts.Count)
                {
                    _alerts.Clear();
                    _nextAlert = 0;
                }
            }

            if (_late is { } late && IsAvailable(_stage.Late))
            {
                _late = null;
                Push(_stage.Late, late);
            }

            if (_alerts.Count > 0 || _late is not null)
            {
                return;
            }

            if (_upstreamDone)
            {
                CompleteStage();
            }
            else if (!HasBeenPulled(_stage.In) && (IsAvailable(_stage.Alerts) || IsAvailable(_stage.Late)))
            {
                Pull(_stage.In);
            }
        }

        private void Snapshot(TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>> request)
        {
            try
            {
                var partitions = new List<SourcePartition>(_positions.Keys);

                var states = _engine.SnapshotPartitions(partitions);
                var pending = _engine.OldestPendingOffsets();
                var result = new List<PartitionMatchSnapshot>(partitions.Count);
                foreach (var partition in partitions)
                {
                    var position = _positions[partition];
                    var resume = pending.TryGetValue(partition, out var oldest) ? Math.Min(oldest, position) : position;
                    result.Add(new PartitionMatchSnapshot(partition, resume, position, _engine.Watermark, states[partition])
                    {
                        Generated = _generated,
                        RulesVersion = _stage._live is null ? 0 : _engine.Rules.Version,
                    });
                }

                request.TrySetResult(result);
            }
#pragma warning disable CA1031 // handed to the caller, who decides; the stream goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                request.TrySetException(ex);
            }
            finally
            {
                _control.Answered(request);
            }
        }
    }

    /// <summary>
    /// The control: requests are handed to the running logic through its async callback; the ones not answered
    /// when the stage stops fail, so a caller never waits for a stage that is gone.
    /// </summary>
    private sealed class Control : IPartitionMatchControl
    {
        private readonly Lock _gate = new();
        private readonly HashSet<TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>> _pending = [];
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Action<TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>>? _callback;
        private bool _detached;

        public Task Stopped => _stopped.Task;

        public Task<IReadOnlyList<PartitionMatchSnapshot>> FinalSnapshot => _final.Task;

        public void SetFinal(Task<IReadOnlyList<PartitionMatchSnapshot>> snapshot)
        {
            if (snapshot.IsCompletedSuccessfully)
            {
                _final.TrySetResult(snapshot.Result);
            }
            else
            {
                _final.TrySetException(snapshot.Exception?.InnerException ?? new InvalidOperationException("the final snapshot failed"));
            }
        }

        public Task<IReadOnlyList<PartitionMatchSnapshot>> SnapshotAsync(CancellationToken cancellationToken = default)
        {
            var request = new TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>(TaskCreationOptions.RunContinuationsAsynchronously);
            Action<TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>>? callback;
            lock (_gate)
            {
                if (_detached)
                {
                    return Task.FromException<IReadOnlyList<PartitionMatchSnapshot>>(Gone());
                }

                _pending.Add(request);
                callback = _callback;
            }

            callback?.Invoke(request); // before the stage started: sent when it attaches
            return request.Task.WaitAsync(cancellationToken);
        }

        public void Attach(Action<TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>> callback)
        {
            TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>[] early;
            lock (_gate)
            {
                _callback = callback;
                early = [.. _pending];
            }

            foreach (var request in early)
            {
                callback(request);
            }
        }

        public void Answered(TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>> request)
        {
            lock (_gate)
            {
                _pending.Remove(request);
            }
        }

        public void Detach()
        {
            TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>[] abandoned;
            lock (_gate)
            {
                _detached = true;
                _callback = null;
                abandoned = [.. _pending];
                _pending.Clear();
            }

            foreach (var request in abandoned)
            {
                request.TrySetException(Gone());
            }

            _final.TrySetException(new InvalidOperationException("the match stage stopped without a final snapshot (failed, cancelled, or flushed on completion)"));
            _final.Task.Exception?.Handle(_ => true); // observed: nobody need ask for it
            _stopped.TrySetResult();
        }

        private static InvalidOperationException Gone() => new("the match stage has stopped");
    }
}
