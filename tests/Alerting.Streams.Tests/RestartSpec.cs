using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class RestartSourceSpec : StreamSpec
{
    private static readonly RestartSettings Backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), RandomFactor: 0, MaxRestarts: 3);

    [Fact]
    public async Task A_RestartSource_must_restart_a_failed_source_after_the_backoff()
    {
        var attempts = new List<SourceProbe<int>>();
        var sink = new SinkProbe<int>();
        var handle = Run(RestartSource.OnFailuresWithBackoff(Backoff, () =>
        {
            var probe = new SourceProbe<int>();
            lock (attempts)
            {
                attempts.Add(probe);
            }
            return probe.Source;
        }), sink);
        sink.Request(10);
        await WaitForAttempts(attempts, 1);
        attempts[0].SendNext(1);
        await sink.ExpectNextAsync(1);
        attempts[0].SendError(new TestException("connection lost"));
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Assert.Single(attempts);
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await WaitForAttempts(attempts, 2);
        attempts[1].SendNext(2);
        await sink.ExpectNextAsync(2);
        attempts[1].SendComplete();
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_RestartSource_must_double_the_backoff_and_give_up_after_maxRestarts()
    {
        var attempts = 0;
        var sink = new SinkProbe<int>();
        var handle = Run(RestartSource.OnFailuresWithBackoff(Backoff, () =>
        {
            Interlocked.Increment(ref attempts);
            return Source.Failed<int>(new TestException($"attempt {Volatile.Read(ref attempts)}"));
        }), sink);
        sink.Request(1);
        foreach (var backoff in new[] { 1, 2, 4 })
        {
            await Clock.WaitForArmedTimersAsync(1);
            Clock.Advance(TimeSpan.FromSeconds(backoff) - TimeSpan.FromTicks(1));
            await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(20));
            Clock.Advance(TimeSpan.FromTicks(1));
        }
        Assert.Equal("attempt 4", (await sink.ExpectErrorAsync()).Message);
        Assert.Equal(4, Volatile.Read(ref attempts));
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_RestartSource_WithBackoff_must_restart_after_completion_too()
    {
        var attempts = 0;
        var sink = new SinkProbe<int>();
        var handle = Run(RestartSource.WithBackoff(Backoff, () => Source.Single(Interlocked.Increment(ref attempts))), sink);
        sink.Request(10);
        await sink.ExpectNextAsync(1);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await sink.ExpectNextAsync(2);
        sink.Cancel();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_RestartSource_must_cancel_its_backoff_wait_when_downstream_cancels()
    {
        var sink = new SinkProbe<int>();
        var handle = Run(RestartSource.OnFailuresWithBackoff(Backoff, () => Source.Failed<int>(new TestException("x"))), sink);
        sink.Request(1);
        await Clock.WaitForArmedTimersAsync(1);
        sink.Cancel();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
    }

    private static async Task WaitForAttempts(List<SourceProbe<int>> attempts, int count)
    {
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(3));
        while (true)
        {
            lock (attempts)
            {
                if (attempts.Count >= count)
                {
                    return;
                }
            }
            await Task.Delay(1, cts.Token);
        }
    }
}

public sealed class RestartFlowSpec : StreamSpec
{
    private static readonly RestartSettings Backoff = new(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(4), RandomFactor: 0, MaxRestarts: 2);

    [Fact]
    public async Task A_RestartFlow_must_restart_a_failed_flow_over_the_same_upstream_with_fresh_state()
    {
        var instances = 0;
        var (source, sink, handle) = Probe(RestartFlow.OnFailuresWithBackoff(Backoff, () =>
        {
            Interlocked.Increment(ref instances);
            return Flow.Create<int>().Scan(0, (acc, x) => x < 0 ? throw new TestException("bad") : acc + x);
        }));
        sink.Request(10);
        source.SendNext(1, 2, -1, 5);
        await sink.ExpectNextNAsync([1, 3]);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await sink.ExpectNextAsync(5);
        Assert.Equal(2, Volatile.Read(ref instances));
        source.SendComplete();
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_RestartFlow_must_not_restart_on_upstream_failure()
    {
        var instances = 0;
        var (source, sink, handle) = Probe(RestartFlow.OnFailuresWithBackoff(Backoff, () =>
        {
            Interlocked.Increment(ref instances);
            return Flow.Create<int>().Select(x => x);
        }));
        sink.Request(10);
        source.SendNext(1);
        source.SendError(new TestException("upstream"));
        await sink.ExpectNextAsync(1);
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        Assert.Equal(1, Volatile.Read(ref instances));
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_RestartFlow_must_fail_after_maxRestarts()
    {
        var (source, sink, handle) = Probe(RestartFlow.OnFailuresWithBackoff(Backoff, () => Flow.Select<int, int>(_ => throw new TestException("always"))));
        sink.Request(10);
        source.SendNext(1, 2, 3, 4);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal("always", (await sink.ExpectErrorAsync()).Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }
}
