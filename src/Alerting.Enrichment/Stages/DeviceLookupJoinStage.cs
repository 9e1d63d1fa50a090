using Akka.Streams;
using Akka.Streams.Stage;

namespace Alerting.Enrichment;

/// <summary>
/// The lookup join of the alert graph as one stage: each element in, <c>combine(element, config of its device)</c>
/// out, in upstream order, resolved through a shared <see cref="DeviceConfigLookup"/> (its cache, its batched
/// store queries, its retries with backoff while the store fails transiently).
/// <para>
/// <b>Emits</b> the combined elements in upstream order, a batch at a time once the batch is resolved (a null
/// device id is looked up as the empty id). A batch goes out at once when no other batch is waiting for the
/// store (<see cref="DeviceLookupSettings.EagerBatches"/>); otherwise elements gather up to <see cref="DeviceLookupSettings.BatchSize"/>, until a batch in flight
/// resolves, or for at most <see cref="DeviceLookupSettings.BatchTime"/> after the batch's first element (a timer
/// on the materializer's scheduler), so a quiet stream pays no batching delay and a busy one sends few queries.
/// A batch whose devices are all cached is resolved on the spot; up to
/// <see cref="DeviceLookupSettings.Parallelism"/> batches wait for the store at once, and the lookup's queries and
/// backoff run on the thread pool, never on the stream's thread.
/// </para>
/// <para>
/// <b>Pulls</b> while the batch being filled has room: at most Parallelism batches resolving or waiting to be
/// emitted and one being filled, so while the store is down (the lookup retrying) it backpressures and drops
/// nothing. <b>Completes</b> when upstream has completed and every batch is emitted. <b>Fails</b> on upstream
/// failure, on a non-transient store failure (which the lookup logs) or when <c>combine</c> throws, whatever
/// the supervision strategy: an element is never dropped. Downstream cancellation, completion or failure
/// cancels the batches resolving (their queries and backoff waits).
/// </para>
/// </summary>
/// <typeparam name="TIn">The elements to enrich (e.g. alerts).</typeparam>
/// <typeparam name="TOut">The enriched elements.</typeparam>
public sealed class DeviceLookupJoinStage<TIn, TOut> : GraphStage<FlowShape<TIn, TOut>>
{
    private readonly DeviceConfigLookup _lookup;
    private readonly Func<TIn, string?> _deviceId;
    private readonly Func<TIn, DeviceConfig, TOut> _combine;

    /// <param name="lookup">The lookup (shared by every stream that enriches from the same store).</param>
    /// <param name="deviceId">The device id of an element.</param>
    /// <param name="combine">The output element of an element and its device's configuration.</param>
    public DeviceLookupJoinStage(DeviceConfigLookup lookup, Func<TIn, string?> deviceId, Func<TIn, DeviceConfig, TOut> combine)
    {
        ArgumentNullException.ThrowIfNull(lookup);
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentNullException.ThrowIfNull(combine);
        _lookup = lookup;
        _deviceId = deviceId;
        _combine = combine;
        Shape = new FlowShape<TIn, TOut>(In, Out);
    }

    /// <summary>The elements to enrich.</summary>
    public Inlet<TIn> In { get; } = new("lookup-join.in");

    /// <summary>The enriched elements.</summary>
    public Outlet<TOut> Out { get; } = new("lookup-join.out");

    public override FlowShape<TIn, TOut> Shape { get; }

    protected override Attributes InitialAttributes { get; } = Attributes.CreateName("device-lookup-join");

    protected override GraphStageLogic CreateLogic(Attributes inheritedAttributes) => new Logic(this);

    private async Task<TOut[]> EnrichAsync(List<TIn> batch, CancellationToken cancellationToken)
    {
        var ids = new string[batch.Count];
        for (var i = 0; i < ids.Length; i++)
        {
            ids[i] = _deviceId(batch[i]) ?? string.Empty;
        }

        var configs = await _lookup.ResolveAsync(ids, cancellationToken).ConfigureAwait(false);
        var output = new TOut[batch.Count];
        for (var i = 0; i < output.Length; i++)
        {
            output[i] = _combine(batch[i], configs[ids[i]]);
        }

        return output;
    }

    private sealed class Batch(List<TIn> elements)
    {
        public List<TIn> Elements { get; } = elements;
        public TOut[]? Results { get; set; }
        public int Next { get; set; }
    }

    private sealed class Logic : TimerGraphStageLogic
    {
        private const string TimerKey = "batch";
        private readonly DeviceLookupJoinStage<TIn, TOut> _stage;
        private readonly int _batchSize;
        private readonly int _parallelism;
        private readonly TimeSpan _batchTime;
        private readonly Queue<Batch> _batches = new();
        private readonly CancellationTokenSource _stop = new();
        private Action<(Batch Batch, Task<TOut[]> Task)> _onResolved = null!;
        private List<TIn>? _filling;
        private readonly bool _eager;
        private int _resolving;
        private bool _due;
        private bool _upstreamDone;

        public Logic(DeviceLookupJoinStage<TIn, TOut> stage)
            : base(stage.Shape)
        {
            _stage = stage;
            var settings = stage._lookup.Settings;
            _batchSize = settings.BatchSize;
            _parallelism = settings.Parallelism;
            _batchTime = settings.BatchTime;
            _eager = settings.EagerBatches;
            SetHandler(stage.In, onPush: OnPush, onUpstreamFinish: OnUpstreamFinish);
            SetHandler(stage.Out, onPull: Emit);
        }

        public override void PreStart()
        {
            _onResolved = GetAsyncCallback<(Batch Batch, Task<TOut[]> Task)>(OnResolved);
            Pull(_stage.In);
        }

        public override void PostStop() => _stop.Cancel();

        private void OnPush()
        {
            if (_filling is null)
            {
                _filling = new List<TIn>(Math.Min(_batchSize, 1024));
                _due = false;
            }

            _filling.Add(Grab(_stage.In));
            TryLaunch();
            if (_filling is not null && !_due && !IsTimerActive(TimerKey))
            {
                ScheduleOnce(TimerKey, _batchTime); // the batch waits: for at most the batch time
            }

            TryPull();
        }

        private void OnUpstreamFinish()
        {
            _upstreamDone = true;
            TryLaunch();
            CompleteIfDone();
        }

        protected override void OnTimer(object timerKey)
        {
            _due = true;
            TryLaunch();
            TryPull();
        }

        private void TryPull()
        {
            if (!_upstreamDone && !HasBeenPulled(_stage.In) && (_filling is null || _filling.Count < _batchSize))
            {
                Pull(_stage.In);
            }
        }

        private void TryLaunch()
        {
            if (_filling is not { Count: > 0 } elements || _batches.Count >= _parallelism
                || !(elements.Count >= _batchSize || _due || _upstreamDone || (_eager && _resolving == 0)))
            {
                return;
            }

            _filling = null;
            CancelTimer(TimerKey);
            var batch = new Batch(elements);
            _batches.Enqueue(batch);
            var resolved = _stage.EnrichAsync(elements, _stop.Token);
            if (resolved.IsCompletedSuccessfully)
            {
                batch.Results = resolved.Result; // every device was cached
                Emit();
                return;
            }

            _resolving++;
            var callback = _onResolved;
            resolved.ContinueWith(t => callback((batch, t)), CancellationToken.None, TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }

        private void OnResolved((Batch Batch, Task<TOut[]> Task) resolved)
        {
            var task = resolved.Task;
            if (task.IsCanceled)
            {
                return; // only when the stage has stopped
            }

            if (task.Exception is { } failure)
            {
                FailStage(failure.InnerExceptions.Count == 1 ? failure.InnerException! : failure);
                return;
            }

            _resolving--;
            resolved.Batch.Results = task.Result;
            Emit();
            TryLaunch(); // what arrived while this batch resolved goes out now
        }

        private void Emit()
        {
            if (!_batches.TryPeek(out var head) || head.Results is not { } results || !IsAvailable(_stage.Out))
            {
                return;
            }

            Push(_stage.Out, results[head.Next++]);
            if (head.Next < results.Length)
            {
                return;
            }

            _batches.Dequeue();
            TryLaunch();
            TryPull();
            CompleteIfDone();
        }

        private void CompleteIfDone()
        {
            if (_upstreamDone && _filling is null && _batches.Count == 0)
            {
                CompleteStage();
            }
        }
    }
}
