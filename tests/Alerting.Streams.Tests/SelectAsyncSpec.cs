using System.Collections.Concurrent;
using Alerting.Streams;

namespace Alerting.Streams.Tests;

public sealed class SelectAsyncSpec : StreamSpec
{
    private sealed class Calls
    {
        private readonly ConcurrentDictionary<int, TaskCompletionSource<int>> _calls = new();
        private int _inFlight;
        private int _maxInFlight;

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public int Started => _calls.Count;

        public List<int> Cancelled { get; } = [];

        public async ValueTask<int> Call(int x, CancellationToken ct)
        {
            var tcs = _calls.GetOrAdd(x, _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));
            var now = Interlocked.Increment(ref _inFlight);
            int seen;
            while ((seen = Volatile.Read(ref _maxInFlight)) < now && Interlocked.CompareExchange(ref _maxInFlight, now, seen) != seen)
            {
            }
            using var reg = ct.Register(() =>
            {
                lock (Cancelled)
                {
                    Cancelled.Add(x);
                }
                tcs.TrySetCanceled(ct);
            });
            try
            {
                return await tcs.Task;
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        public TaskCompletionSource<int> Of(int x) =>
            _calls.GetOrAdd(x, _ => new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously));

        public async Task WaitStartedAsync(int count)
        {
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
            while (Volatile.Read(ref _inFlight) < count)
            {
                await Task.Delay(1, cts.Token);
            }
        }
    }

    [Fact]
    public async Task A_SelectAsync_must_emit_results_in_upstream_order_even_when_calls_finish_out_of_order()
    {
        var calls = new Calls();
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(4, calls.Call));
        source.SendNext(1, 2, 3, 4);
        source.SendComplete();
        sink.Request(10);
        await calls.WaitStartedAsync(4);
        calls.Of(4).SetResult(40);
        calls.Of(3).SetResult(30);
        calls.Of(2).SetResult(20);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        calls.Of(1).SetResult(10);
        await sink.ExpectNextNAsync([10, 20, 30, 40]);
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_SelectAsync_must_run_at_most_parallelism_calls_at_once()
    {
        var calls = new Calls();
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(3, calls.Call));
        source.SendNext(Enumerable.Range(1, 10));
        source.SendComplete();
        sink.Request(100);
        await calls.WaitStartedAsync(3);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(3, calls.Started);
        Assert.Equal(3, source.Pulls);
        for (var i = 1; i <= 10; i++)
        {
            calls.Of(i).TrySetResult(i);
            await sink.ExpectNextAsync(i);
        }
        await sink.ExpectCompleteAsync();
        Assert.Equal(3, calls.MaxInFlight);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_SelectAsync_must_fail_after_the_results_before_a_failed_call_under_Stop_and_cancel_the_others()
    {
        var calls = new Calls();
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(3, calls.Call));
        source.SendNext(1, 2, 3);
        sink.Request(10);
        await calls.WaitStartedAsync(3);
        calls.Of(2).SetException(new TestException("lookup failed"));
        calls.Of(1).SetResult(1);
        await sink.ExpectNextAsync(1);
        Assert.Equal("lookup failed", (await sink.ExpectErrorAsync()).Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
        Assert.Contains(3, calls.Cancelled);
    }

    [Fact]
    public async Task A_SelectAsync_must_drop_a_failed_call_to_dead_letters_under_Resume()
    {
        var deadLetters = new SideOutput<DeadLetter>(4);
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(
            2,
            (x, _) => x == 2 ? ValueTask.FromException<int>(new TestException("no row")) : ValueTask.FromResult(x * 100),
            SupervisionStrategy.Resuming(deadLetters)));
        source.SendNext(1, 2, 3);
        source.SendComplete();
        Assert.Equal([100, 300], await sink.ToListAsync());
        Assert.True(deadLetters.TryRead(out var dead));
        Assert.Equal(2, dead.Element);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_SelectAsync_must_cancel_and_await_in_flight_calls_when_downstream_cancels()
    {
        var calls = new Calls();
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(2, calls.Call));
        source.SendNext(1, 2, 3);
        sink.Request(1);
        await calls.WaitStartedAsync(2);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
        Assert.Equal([1, 2], calls.Cancelled.Order());
    }

    [Fact]
    public async Task A_SelectAsync_must_pass_upstream_failure_downstream()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().SelectAsync(2, (x, _) => ValueTask.FromResult(x)));
        source.SendError(new TestException("upstream"));
        sink.Request(1);
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }
}
