using System.Threading.Channels;

namespace Alerting.Streams.Stages;

/// <summary>
/// GroupBy + MergeSubstreams: routes each upstream element to the substream of its key (opening it, and the
/// per-key flow over it, on the key's first element), runs every substream's flow on its own task and emits
/// all substream outputs merged, each key's outputs in their order. Upstream is pulled by a router task
/// that waits while the target substream's bounded buffer (<c>substreamBuffer</c>) is full, so one slow
/// substream slows the whole upstream and nothing grows without bound; the merged output is a bounded channel
/// too. A substream that has received nothing for <c>idleTimeout</c> (on the stream's
/// <see cref="TimeProvider"/>) and has an empty buffer is completed: its flow finishes what it holds and
/// stops, and a later element of that key opens a new substream. At most <c>maxSubstreams</c> substreams are
/// open at once; one more fails the stage with <see cref="TooManySubstreamsException"/>. Completes when
/// upstream has completed and every substream has completed. Any failure (upstream, key selector, a
/// substream's flow) fails downstream and cancels everything; downstream cancellation cancels the router and
/// all substreams and waits for their tasks and timers to stop.
/// </summary>
internal sealed class GroupByStage<T, TKey, TOut>(
    IAsyncEnumerable<T> upstream,
    Func<T, TKey> keySelector,
    int maxSubstreams,
    TimeSpan? idleTimeout,
    int substreamBuffer,
    Func<TKey, Flow<T, TOut>> substreamFlow,
    StreamContext context) : IAsyncEnumerable<TOut>
    where TKey : notnull
{
    internal IAsyncEnumerable<T> Upstream => upstream;
    internal Func<T, TKey> KeySelector => keySelector;
    internal int MaxSubstreams => maxSubstreams;
    internal TimeSpan? IdleTimeout => idleTimeout;
    internal int SubstreamBuffer => substreamBuffer;
    internal Func<TKey, Flow<T, TOut>> SubstreamFlow => substreamFlow;
    internal StreamContext Context => context;

    public async IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("GroupBy");
        var run = new Run(this, cancellationToken);
        var router = Task.Run(run.RouteAsync, CancellationToken.None);
        context.Track("GroupBy.router", router);
        try
        {
            var reader = run.Output.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var element))
                {
                    yield return element;
                }
            }
        }
        finally
        {
            await run.Cancel.CancelAsync();
            await router;
            run.Cancel.Dispose();
            lifetime.Stop();
        }
    }

    private sealed class Substream
    {
        public required TKey Key { get; init; }
        public required Channel<T> Input { get; init; }
        public Task Task { get; set; } = Task.CompletedTask;
        public ITimer? IdleTimer { get; set; }
        public long LastSeen { get; set; }
        public bool Writing { get; set; }
        public bool Closed { get; set; }
    }

    private sealed class Run
    {
        private readonly GroupByStage<T, TKey, TOut> _stage;
        private readonly Dictionary<TKey, Substream> _open = [];
        private readonly List<Task> _all = [];
        private readonly Lock _gate = new();

        public Run(GroupByStage<T, TKey, TOut> stage, CancellationToken token)
        {
            _stage = stage;
            Cancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            Output = Channel.CreateBounded<TOut>(new BoundedChannelOptions(Math.Max(16, stage.SubstreamBuffer))
            {
                SingleReader = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
        }

        public CancellationTokenSource Cancel { get; }

        public Channel<TOut> Output { get; }

        public async Task RouteAsync()
        {
            var token = Cancel.Token;
            Exception? failure = null;
            try
            {
                await using var e = _stage.Upstream.GetAsyncEnumerator(token);
                while (await e.MoveNextAsync())
                {
                    var element = e.Current;
                    var sub = Acquire(_stage.KeySelector(element));
                    try
                    {
                        if (!sub.Input.Writer.TryWrite(element))
                        {
                            await sub.Input.Writer.WriteAsync(element, token);
                        }
                    }
                    catch (ChannelClosedException)
                    {
                        // the substream's flow completed early: its remaining elements are dropped.
                    }
                    finally
                    {
                        lock (_gate)
                        {
                            sub.Writing = false;
                            sub.LastSeen = _stage.Context.TimeProvider.GetTimestamp();
                            // The idle clock starts once the substream's first element is handed over, so a
                            // check can never find the substream's very first write still in flight.
                            if (sub.IdleTimer is null && !sub.Closed && _stage.IdleTimeout is { } idle)
                            {
                                sub.IdleTimer = _stage.Context.TimeProvider.CreateTimer(OnIdleCheck, sub, idle, Timeout.InfiniteTimeSpan);
                            }
                        }
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // handed downstream through the output channel
            catch (Exception ex)
#pragma warning restore CA1031
            {
                failure = ex;
                await Cancel.CancelAsync();
            }

            Task[] substreams;
            lock (_gate)
            {
                foreach (var sub in _open.Values)
                {
                    CloseLocked(sub);
                }
                _open.Clear();
                substreams = [.. _all];
            }
            await Task.WhenAll(substreams);
            Output.Writer.TryComplete(failure);
        }

        private Substream Acquire(TKey key)
        {
            lock (_gate)
            {
                if (_open.TryGetValue(key, out var sub) && !sub.Closed)
                {
                    sub.Writing = true;
                    return sub;
                }
                if (_open.Count >= _stage.MaxSubstreams)
                {
                    throw new TooManySubstreamsException($"Cannot open a substream for key '{key}': {_stage.MaxSubstreams} are open.");
                }
                sub = new Substream
                {
                    Key = key,
                    Input = Channel.CreateBounded<T>(new BoundedChannelOptions(_stage.SubstreamBuffer)
                    {
                        SingleReader = true,
                        SingleWriter = true,
                        FullMode = BoundedChannelFullMode.Wait,
                    }),
                    LastSeen = _stage.Context.TimeProvider.GetTimestamp(),
                    Writing = true,
                };
                _open[key] = sub;
                var flow = _stage.SubstreamFlow(key);
                sub.Task = Task.Run(() => RunSubstreamAsync(sub, flow), CancellationToken.None);
                _all.Add(sub.Task);
                _stage.Context.Track($"GroupBy.substream[{key}]", sub.Task);
                return sub;
            }
        }

        private void OnIdleCheck(object? state)
        {
            var sub = (Substream)state!;
            var idle = _stage.IdleTimeout!.Value;
            lock (_gate)
            {
                if (sub.Closed)
                {
                    return;
                }
                var quiet = _stage.Context.TimeProvider.GetElapsedTime(sub.LastSeen);
                if (!sub.Writing && quiet >= idle && sub.Input.Reader.Count == 0)
                {
                    CloseLocked(sub);
                    if (_open.TryGetValue(sub.Key, out var current) && ReferenceEquals(current, sub))
                    {
                        _open.Remove(sub.Key);
                    }
                    return;
                }
                var next = quiet >= idle ? idle : idle - quiet;
                sub.IdleTimer?.Change(next, Timeout.InfiniteTimeSpan);
            }
        }

        private static void CloseLocked(Substream sub)
        {
            sub.Closed = true;
            sub.IdleTimer?.Dispose();
            sub.IdleTimer = null;
            sub.Input.Writer.TryComplete();
        }

        private async Task RunSubstreamAsync(Substream sub, Flow<T, TOut> flow)
        {
            var token = Cancel.Token;
            try
            {
                var outputs = flow.Apply(sub.Input.Reader.ReadAllAsync(token), _stage.Context);
                await foreach (var element in outputs.WithCancellation(token))
                {
                    await Output.Writer.WriteAsync(element, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // handed downstream through the output channel
            catch (Exception ex)
#pragma warning restore CA1031
            {
                Output.Writer.TryComplete(ex);
                await Cancel.CancelAsync();
            }
            finally
            {
                lock (_gate)
                {
                    CloseLocked(sub);
                    if (_open.TryGetValue(sub.Key, out var current) && ReferenceEquals(current, sub))
                    {
                        _open.Remove(sub.Key);
                    }
                }
            }
        }
    }
}
