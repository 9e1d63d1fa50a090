using Akka.Streams;
using Akka.Streams.Dsl;
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
/// <b>Bootstraps</b> (with <see cref="BootstrapSettings"/>): when a swap puts in force a set with rules that declare a
/// bootstrap and that the previous set did not have (same id and version), the stage reads the partition's history in
/// a materialization of its own (<see cref="IRuleHistory"/>, from effective time − look-back up to the offsets the
/// stage has read so far) and runs those rules alone over it (<see cref="RuleBootstrap"/>). Meanwhile the engine goes
/// on with every other rule of the set: the stage keeps pulling, and each event and watermark step the engine takes is
/// also held for the bootstrapping rules (at most <see cref="BootstrapSettings.MaxHeldElements"/>; once that many are
/// held, or when a later version is due, the stage pulls nothing more until the hand-over). Once the history is read the
/// stage emits the alerts found in it (marked <see cref="AlertEvent.Bootstrap"/>; none when the rule suppresses them) and
/// brings each bootstrapping rule forward over the events the engine buffered at the swap and the held elements, in their
/// order, with the engine's watermarks (<see cref="RuleBootstrap.CatchUp(Timed, ICollection{AlertEvent})"/>), a slice
/// of the hold at a time between live elements (which are held in turn), emitting the live alerts the rule raises on the
/// way (unmarked, whatever the rule says of history's alerts; later than the other rules' alerts of the same elements,
/// with the same ids). When the hold is empty it hands over: the engine takes the full set and imports each rule's
/// per-device state, and from then on holds exactly what it would hold had it had the rules all along. Snapshot
/// requests are held from the swap to the hand-over, so no checkpoint ever records the new version without the
/// bootstrapped state: a crash mid-bootstrap resumes from the checkpoint before the swap and runs the bootstrap again.
/// A history read that fails fails the stage; a stage that stops first ends the read.
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
    private readonly BootstrapSettings? _bootstrap;

    // held elements a bootstrapping rule catches up over between two live elements (a few ms of the rule alone)
    private const int CatchUpSlice = 2_048;

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
    /// <param name="bootstrap">How rules that declare a bootstrap are run over history when a swap brings them; none: they start at the swap.</param>
    public PartitionMatchStage(Func<RuleEngine> createEngine, bool flushOnComplete = false, EventTimeCounters? counters = null, Live.LiveRuleSets? live = null, Action<Live.LiveRuleSet, SwapResult>? onSwap = null, BootstrapSettings? bootstrap = null)
    {
        _bootstrap = bootstrap;
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

        // the bootstrap running; while _waiting the stage pulls nothing until its hand-over (its hold is full, or a later
        // version is due at _resume, the watermark to go on with after it); snapshot requests held until the hand-over
        private Running? _running;
        private bool _waiting;
        private bool _resumePending;
        private (long Watermark, bool Flush) _resume;
        private readonly List<SnapshotRequest> _heldRequests = [];
        private long _partialMatchesDropped;
        private bool _upstreamFinished;
        private Action<Exception?> _bootstrapDone = null!;
        private Action<int> _catchUpTurn = null!;

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

            _bootstrapDone = GetAsyncCallback<Exception?>(BootstrapDone);
            _catchUpTurn = GetAsyncCallback<int>(_ => CatchUpTurn());
            _control.Attach(GetAsyncCallback<Request>(Answer));
        }

        public override void PostStop()
        {
            _running?.Reading?.Shutdown(); // a history read still running ends with the stage
            _control.Detach();
        }

        private void OnPush()
        {
            var element = Grab(_stage.In);
            if (element.IsWatermark)
            {
                Advance(element.Watermark, flush: false);
                return;
            }

            var before = _alerts.Count;
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

            _generated += _alerts.Count - before;
            if (_running is not null)
            {
                Hold(element);
            }

            Drain();
        }

        private void OnUpstreamFinish()
        {
            _upstreamFinished = true;
            if (_running is null)
            {
                Finish(); // else once the bootstrap is done: the final snapshot holds the bootstrapped rules' state
            }
        }

        private void Finish()
        {
            if (_stage._flushOnComplete)
            {
                if (!Advance(long.MaxValue, flush: true) || _running is not null)
                {
                    Drain(); // what the flush gave goes out; a bootstrap runs (started by the flush's swaps): finished after its hand-over
                    return;
                }
            }
            else
            {
                var final = new TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>>(TaskCreationOptions.RunContinuationsAsynchronously);
                Snapshot(final);
                _control.SetFinal(final.Task);
            }

            _upstreamDone = true;
            Drain();
        }

        // Swaps what is due at the watermark, then moves the engine to it (or flushes it); false when a version is due
        // that must wait for a running bootstrap's hand-over: the partition waits, and the hand-over goes on from here.
        private bool Advance(long watermark, bool flush)
        {
            var before = _alerts.Count;
            var waiting = SwapDue(watermark);
            if (!waiting)
            {
                if (flush)
                {
                    _engine.Flush(_alerts);
                }
                else
                {
                    _engine.OnWatermark(watermark, _alerts);
                }

                if (_running is not null)
                {
                    Hold(Timed.OfWatermark(flush ? long.MaxValue : watermark));
                }
            }
            else
            {
                _resume = (watermark, flush);
                _resumePending = true;
                Wait();
            }

            _generated += _alerts.Count - before;
            if (!flush)
            {
                Drain();
            }

            return !waiting;
        }

        // puts in force, at their effective times, the live versions due at this watermark; true when one is due that
        // must wait for a running bootstrap (started now or before): a bootstrap's hand-over swaps to its full set first
        private bool SwapDue(long watermark)
        {
            if (_stage._live is not { } live)
            {
                return false;
            }

            if (_running is not null)
            {
                return live.NextDue(_engine.Rules.Version, watermark) is not null;
            }

            while (live.NextDue(_engine.Rules.Version, watermark) is { } due)
            {
                var previous = _engine.Rules;
                var swappedAt = Math.Max(due.EffectiveAt, _engine.Watermark == long.MinValue ? long.MinValue : _engine.Watermark + 1);
                var planned = PlanBootstrap(due, previous, swappedAt);

                // the rules to bootstrap are held: the live engine goes on with the others until the hand-over
                var rules = planned.Count == 0
                    ? due.Rules
                    : RuleSet.Create(due.Rules.Version, due.Rules.Rules.Where(r => !planned.Any(p => ReferenceEquals(p.Rule, r))), due.Rules.Schema);
                var swap = _engine.SwapRules(rules, due.EffectiveAt, _alerts);
                _stage._onSwap?.Invoke(due, swap);
                if (planned.Count > 0)
                {
                    StartBootstrap(due, planned, swap.SwappedAt);
                    return live.NextDue(_engine.Rules.Version, watermark) is not null;
                }
            }

            return false;
        }

        // the rules of the set due that declare a bootstrap, are new to the partition (not in the previous set with the
        // same id and version) and have history before the swap
        private List<(Live.RuleBootstrapDeclaration Declared, Language.CompiledRule Rule)> PlanBootstrap(Live.LiveRuleSet due, RuleSet previous, long swappedAt)
        {
            var planned = new List<(Live.RuleBootstrapDeclaration, Language.CompiledRule)>();
            if (_stage._bootstrap is null)
            {
                return planned;
            }

            foreach (var declared in due.Bootstraps)
            {
                var had = previous.Rules.Any(r => r.Version == declared.RuleVersion && string.Equals(r.Id, declared.RuleId, StringComparison.Ordinal));
                var rule = due.Rules.Rules.FirstOrDefault(r => r.Version == declared.RuleVersion && string.Equals(r.Id, declared.RuleId, StringComparison.Ordinal));
                var from = due.EffectiveAt - (long)declared.LookBack.TotalMilliseconds;
                if (!had && rule is not null && from < swappedAt)
                {
                    planned.Add((declared, rule));
                }
            }

            return planned;
        }

        private void StartBootstrap(Live.LiveRuleSet due, List<(Live.RuleBootstrapDeclaration Declared, Language.CompiledRule Rule)> planned, long swappedAt)
        {
            var settings = _stage._bootstrap!;
            var rules = planned
                .Select(p => (p.Declared, new RuleBootstrap(p.Rule, due.Rules.Schema, due.EffectiveAt - (long)p.Declared.LookBack.TotalMilliseconds, swappedAt,
                    settings.OutOfOrdernessMs, p.Declared.Alerts == BootstrapAlerts.Emit, settings.Options)))
                .ToList();

            // up to where the live stream stands; from a little before the look-back, for events out of order across it
            var ends = new Dictionary<SourcePartition, long>(_positions);
            var readFrom = rules.Min(r => r.Item2.From) - settings.OutOfOrdernessMs;

            // the events the live engine holds at the swap (all at or after it) are the held rules' too
            var running = new Running(due.Version, due.Rules, rules, _engine.CopyBufferedEvents(), System.Diagnostics.Stopwatch.GetTimestamp());
            _running = running;
            Task reading;
            try
            {
                if (ends.Count == 0)
                {
                    reading = Task.CompletedTask;
                }
                else
                {
                    var (kill, done) = settings.History.Read(ends, readFrom)
                        .ViaMaterialized(KillSwitches.Single<DeviceEvent>(), Keep.Right)
                        .ToMaterialized(Sink.ForEach<DeviceEvent>(e =>
                        {
                            foreach (var (_, matcher) in rules)
                            {
                                matcher.Offer(e);
                            }
                        }), Keep.Both)
                        .Run(Materializer);
                    running.Reading = kill;
                    reading = done;
                }
            }
#pragma warning disable CA1031 // handed on: BootstrapDone fails the stage with it
            catch (Exception ex)
#pragma warning restore CA1031
            {
                reading = Task.FromException(ex);
            }

            var callback = _bootstrapDone;
            reading.ContinueWith(t => callback(t.Exception?.GetBaseException()), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        // a live element the engine took while a bootstrap runs: the held rules catch up over it at the hand-over
        private void Hold(Timed element)
        {
            var running = _running!;
            running.Held.Enqueue(element);
            running.HeldTotal++;
            if (running.Held.Count >= _stage._bootstrap!.MaxHeldElements && !_waiting)
            {
                Wait();
                _stage._bootstrap.OnHoldFull?.Invoke(new BootstrapHoldFull(running.SetVersion, running.Held.Count, System.Diagnostics.Stopwatch.GetElapsedTime(running.Started)));
            }
        }

        // the partition pulls nothing more until the hand-over
        private void Wait()
        {
            _waiting = true;
            _running!.WaitingSince ??= System.Diagnostics.Stopwatch.GetTimestamp();
        }

        // the history is read: its alerts are emitted, and the held rules catch up over the hold in turns between the
        // live elements (which go on being held), then hand over
        private void BootstrapDone(Exception? failure)
        {
            var running = _running!;
            if (failure is not null)
            {
                FailStage(new InvalidOperationException($"the bootstrap over history of rule set version {running.SetVersion} failed: {failure.Message}", failure));
                return;
            }

            var before = _alerts.Count;
            var live = new List<AlertEvent>();
            foreach (var (_, matcher) in running.Rules)
            {
                matcher.BeginCatchUp(running.BufferedAtSwap, live);
                _alerts.AddRange(matcher.Alerts);
                _alerts.AddRange(live);
                live.Clear();
            }

            _generated += _alerts.Count - before;
            running.CatchingUp = true;
            CatchUpTurn();
        }

        // one turn of the catch-up: at most CatchUpSlice held elements, so the live stream waits for no more than that
        // at a time; the next turn comes after what the stream has to do meanwhile, the hand-over once the hold is empty
        private void CatchUpTurn()
        {
            if (_running is not { CatchingUp: true } running)
            {
                return;
            }

            var before = _alerts.Count;
            for (var n = 0; n < CatchUpSlice && running.Held.TryDequeue(out var element); n++)
            {
                foreach (var (_, matcher) in running.Rules)
                {
                    matcher.CatchUp(element, _alerts);
                }
            }

            _generated += _alerts.Count - before;
            if (running.Held.Count > 0)
            {
                _catchUpTurn(0);
                Drain();
                return;
            }

            HandOver(running);
        }

        // the hand-over: the live engine takes the full set and each held rule's caught-up state; it now holds what it
        // would hold had it had the rules all along
        private void HandOver(Running running)
        {
            var elapsed = System.Diagnostics.Stopwatch.GetElapsedTime(running.Started);
            var waited = running.WaitingSince is { } since ? System.Diagnostics.Stopwatch.GetElapsedTime(since) : TimeSpan.Zero;
            _engine.SwapRules(running.Full, long.MinValue, _alerts); // at the watermark: nothing is released
            foreach (var (declared, matcher) in running.Rules)
            {
                var imported = matcher.HandOverTo(_engine);
                _stage._bootstrap!.OnDone?.Invoke(new RuleBootstrapReport(
                    running.SetVersion, declared.RuleId, declared.RuleVersion, matcher.From, matcher.Until,
                    matcher.EventsRead, matcher.EventsInWindow, matcher.Alerts.Count, imported.Devices, elapsed)
                {
                    HeldElements = running.HeldTotal,
                    LiveAlerts = matcher.LiveAlerts,
                    Waited = waited,
                });
            }

            _running = null;
            _waiting = false;
            foreach (var request in _heldRequests)
            {
                Answer(request);
            }

            _heldRequests.Clear();
            if (_resumePending)
            {
                _resumePending = false;
                var (watermark, flush) = _resume;
                if (!Advance(watermark, flush))
                {
                    return; // the next version due waits for a bootstrap of its own
                }
            }

            if (_upstreamFinished)
            {
                Finish();
            }
            else
            {
                Drain();
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
            // partial matches the engine's cap dropped (while matching an event or what a watermark released)
            if (_engine.PartialMatchesDropped != _partialMatchesDropped)
            {
                _stage._counters?.AddPartialMatchesDropped(_engine.PartialMatchesDropped - _partialMatchesDropped);
                _partialMatchesDropped = _engine.PartialMatchesDropped;
            }

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

            if (_alerts.Count > 0 || _late is not null || _waiting)
            {
                return;
            }

            if (_upstreamDone)
            {
                CompleteStage();
            }
            else if (!_upstreamFinished && !HasBeenPulled(_stage.In) && (IsAvailable(_stage.Alerts) || IsAvailable(_stage.Late)))
            {
                Pull(_stage.In);
            }
        }

        private void Answer(Request request)
        {
            var answered = true;
            try
            {
                switch (request)
                {
                    case SnapshotRequest snapshot when _running is not null:
                        _heldRequests.Add(snapshot); // no checkpoint between a swap and its bootstrap's hand-over
                        answered = false;
                        break;
                    case SnapshotRequest snapshot:
                        Snapshot(snapshot.Answer);
                        break;
                    case InspectRequest inspect:
                        inspect.Answer.TrySetResult(_engine.Inspect(inspect.DeviceId));
                        break;
                }
            }
#pragma warning disable CA1031 // handed to the caller, who decides; the stream goes on
            catch (Exception ex)
#pragma warning restore CA1031
            {
                request.Fail(ex);
            }
            finally
            {
                if (answered)
                {
                    _control.Answered(request); // a held one stays pending: it fails if the stage stops first
                }
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
        }
    }

    /// <summary>A question for the running logic, answered on its thread.</summary>
    private abstract class Request
    {
        public abstract void Fail(Exception exception);
    }

    private sealed class SnapshotRequest : Request
    {
        public TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception exception) => Answer.TrySetException(exception);
    }

    private sealed class InspectRequest(string deviceId) : Request
    {
        public string DeviceId { get; } = deviceId;

        public TaskCompletionSource<DeviceInspection> Answer { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public override void Fail(Exception exception) => Answer.TrySetException(exception);
    }

    /// <summary>A bootstrap under way: its rules' history matchers, the live elements held for them, the set to hand over to.</summary>
    private sealed class Running(long setVersion, RuleSet full, List<(Live.RuleBootstrapDeclaration Declared, RuleBootstrap Matcher)> rules, IReadOnlyList<DeviceEvent> bufferedAtSwap, long started)
    {
        public long SetVersion { get; } = setVersion;

        /// <summary>The set due, held rules included: the live engine's set from the hand-over on.</summary>
        public RuleSet Full { get; } = full;

        public List<(Live.RuleBootstrapDeclaration Declared, RuleBootstrap Matcher)> Rules { get; } = rules;

        /// <summary>The events the live engine buffered at the swap.</summary>
        public IReadOnlyList<DeviceEvent> BufferedAtSwap { get; } = bufferedAtSwap;

        /// <summary>Events and watermark steps the live engine took since the swap, in order, not yet caught up over.</summary>
        public Queue<Timed> Held { get; } = new();

        /// <summary>Elements held in all.</summary>
        public int HeldTotal { get; set; }

        /// <summary>The history is read: the rules are catching up over the hold.</summary>
        public bool CatchingUp { get; set; }

        public long Started { get; } = started;

        /// <summary>When the partition stopped pulling for this bootstrap, if it did.</summary>
        public long? WaitingSince { get; set; }

        /// <summary>Ends the history read (the stage stopping first).</summary>
        public UniqueKillSwitch? Reading { get; set; }
    }

    /// <summary>
    /// The control: requests are handed to the running logic through its async callback; the ones not answered
    /// when the stage stops fail, so a caller never waits for a stage that is gone.
    /// </summary>
    private sealed class Control : IPartitionMatchControl
    {
        private readonly Lock _gate = new();
        private readonly HashSet<Request> _pending = [];
        private readonly TaskCompletionSource _stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly TaskCompletionSource<IReadOnlyList<PartitionMatchSnapshot>> _final = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private Action<Request>? _callback;
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
            var request = new SnapshotRequest();
            return Send(request) ? request.Answer.Task.WaitAsync(cancellationToken) : Task.FromException<IReadOnlyList<PartitionMatchSnapshot>>(Gone());
        }

        public Task<DeviceInspection> InspectAsync(string deviceId, CancellationToken cancellationToken = default)
        {
            ArgumentNullException.ThrowIfNull(deviceId);
            var request = new InspectRequest(deviceId);
            return Send(request) ? request.Answer.Task.WaitAsync(cancellationToken) : Task.FromException<DeviceInspection>(Gone());
        }

        public void Attach(Action<Request> callback)
        {
            Request[] early;
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

        public void Answered(Request request)
        {
            lock (_gate)
            {
                _pending.Remove(request);
            }
        }

        public void Detach()
        {
            Request[] abandoned;
            lock (_gate)
            {
                _detached = true;
                _callback = null;
                abandoned = [.. _pending];
                _pending.Clear();
            }

            foreach (var request in abandoned)
            {
                request.Fail(Gone());
            }

            _final.TrySetException(new InvalidOperationException("the match stage stopped without a final snapshot (failed, cancelled, or flushed on completion)"));
            _final.Task.Exception?.Handle(_ => true); // observed: nobody need ask for it
            _stopped.TrySetResult();
        }

        // false when the stage has stopped; before it started, the request is sent when it attaches
        private bool Send(Request request)
        {
            Action<Request>? callback;
            lock (_gate)
            {
                if (_detached)
                {
                    return false;
                }

                _pending.Add(request);
                callback = _callback;
            }

            callback?.Invoke(request);
            return true;
        }

        private static InvalidOperationException Gone() => new("the match stage has stopped");
    }
}
