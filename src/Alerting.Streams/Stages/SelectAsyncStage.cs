namespace Alerting.Streams.Stages;

/// <summary>
/// SelectAsync (ordered): starts <c>f(x, ct)</c> for upstream elements, at most <c>parallelism</c> at once, and
/// emits their results in upstream order (a slow head holds back finished later results). Pulls upstream
/// while fewer than <c>parallelism</c> calls are in flight, only while downstream is pulling. Completes when
/// upstream has completed and every call has been emitted. If a call fails, the supervision decides: Stop
/// fails downstream (in order, after the results before it), cancels the other calls and upstream; Resume and
/// Restart drop that element to the dead letters. Upstream failure fails downstream. On cancellation or
/// failure the in-flight calls are cancelled and awaited before the stage stops.
/// </summary>
internal sealed class SelectAsyncStage<TIn, TOut>(
    IAsyncEnumerable<TIn> upstream,
    int parallelism,
    Func<TIn, CancellationToken, ValueTask<TOut>> selector,
    SupervisionStrategy supervision,
    StreamContext context) : IAsyncEnumerable<TOut>
{
    public async IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("SelectAsync");
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var inFlight = new Queue<(TIn Element, Task<TOut> Call)>(parallelism);
        var e = upstream.GetAsyncEnumerator(cts.Token);
        Task<bool>? pendingPull = null;
        var upstreamDone = false;
        try
        {
            while (true)
            {
                while (!upstreamDone && pendingPull is null && inFlight.Count < parallelism)
                {
                    var pull = e.MoveNextAsync();
                    if (!pull.IsCompletedSuccessfully)
                    {
                        pendingPull = pull.AsTask();
                    }
                    else if (pull.Result)
                    {
                        Start(e.Current);
                    }
                    else
                    {
                        upstreamDone = true;
                    }
                }

                if (inFlight.Count == 0)
                {
                    if (upstreamDone)
                    {
                        yield break;
                    }
                    await TakePullAsync();
                    continue;
                }

                var head = inFlight.Peek().Call;
                if (!head.IsCompleted && pendingPull is not null)
                {
                    await Task.WhenAny(head, pendingPull).WaitAsync(cancellationToken);
                    if (pendingPull.IsCompleted)
                    {
                        await TakePullAsync();
                        continue;
                    }
                }
                if (!head.IsCompleted)
                {
                    await ((Task)head).WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                var (element, call) = inFlight.Dequeue();
                if (call.IsCompletedSuccessfully)
                {
                    yield return call.Result;
                    continue;
                }
                var error = call.Exception?.InnerException ?? new OperationCanceledException("The async selector was cancelled.");
                if (supervision.Decide("SelectAsync", element, error) == Directive.Stop)
                {
                    System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(error);
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            if (pendingPull is not null)
            {
                await ((Task)pendingPull).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            foreach (var (_, call) in inFlight)
            {
                await ((Task)call).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
            try
            {
                await e.DisposeAsync();
            }
            finally
            {
                cts.Dispose();
                lifetime.Stop();
            }
        }

        void Start(TIn element)
        {
            Task<TOut> call;
            try
            {
                call = selector(element, cts.Token).AsTask();
            }
#pragma warning disable CA1031 // a synchronous throw is a failed call, supervised like the others
            catch (Exception ex)
#pragma warning restore CA1031
            {
                call = Task.FromException<TOut>(ex);
            }
            inFlight.Enqueue((element, call));
        }

        async Task TakePullAsync()
        {
            var has = await pendingPull!;
            pendingPull = null;
            if (has)
            {
                Start(e.Current);
            }
            else
            {
                upstreamDone = true;
            }
        }
    }
}
