using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class KillSwitchSpec : StreamSpec
{
    [Fact]
    public async Task A_KillSwitch_shutdown_must_complete_downstream_and_cancel_upstream()
    {
        var ks = new SharedKillSwitch("switch");
        var (source, sink, handle) = Probe(ks.Flow<int>());
        source.SendNext(1);
        await sink.RequestNextAsync(1);
        sink.Request(1);
        await source.ExpectRequestAsync();
        ks.Shutdown();
        await sink.ExpectCompleteAsync();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_KillSwitch_abort_must_fail_downstream_with_the_reason()
    {
        var ks = new SharedKillSwitch("switch");
        var (source, sink, handle) = Probe(ks.Flow<int>());
        sink.Request(1);
        await source.ExpectRequestAsync();
        ks.Abort(new TestException("aborted"));
        Assert.Equal("aborted", (await sink.ExpectErrorAsync()).Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_shared_KillSwitch_must_stop_every_stream_it_guards()
    {
        var ks = new SharedKillSwitch("shared");
        var s1 = new SinkProbe<string>();
        var s2 = new SinkProbe<string>();
        var h1 = Run(Source.Tick(TimeSpan.Zero, TimeSpan.FromSeconds(1), "a").Via(ks), s1);
        var h2 = Run(Source.Tick(TimeSpan.Zero, TimeSpan.FromSeconds(1), "b").Via(ks), s2);
        await s1.RequestNextAsync("a");
        await s2.RequestNextAsync("b");
        s1.Request(1);
        s2.Request(1);
        ks.Shutdown();
        await s1.ExpectCompleteAsync();
        await s2.ExpectCompleteAsync();
        await AllStagesStopped(h1);
        await AllStagesStopped(h2);
    }

    [Fact]
    public async Task A_graceful_drain_must_stop_taking_input_and_finish_what_is_in_flight()
    {
        var source = new SourceProbe<int>();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = 0;
        var processed = new List<int>();
        var handle = source.Source
            .SelectAsync(2, async (x, ct) =>
            {
                Interlocked.Increment(ref started);
                await gate.Task.WaitAsync(ct);
                return x * 10;
            })
            .Async(8)
            .RunWith(Sink.ForEach<int>(processed.Add), Materializer);
        source.SendNext(1, 2, 3);
        await source.ExpectPullsAsync(2);
        while (Volatile.Read(ref started) < 2)
        {
            await Task.Yield();
        }
        handle.Shutdown();
        await Task.Delay(50);
        Assert.False(handle.Completion.IsCompleted);
        gate.SetResult();
        await handle.DrainAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3));
        // the two elements in flight were finished; the third, not yet taken, never was
        Assert.Equal([10, 20], processed);
        Assert.Equal(2, source.Delivered);
        Assert.True(source.IsCancelled);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_stream_Cancel_must_stop_every_stage_at_once()
    {
        var source = new SourceProbe<int>();
        var handle = source.Source.Async(4).Select(x => x).RunWith(Sink.Ignore<int>(), Materializer);
        await source.ExpectRequestAsync();
        handle.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => handle.Completion);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_stream_Abort_must_fail_the_stream_with_the_reason()
    {
        var source = new SourceProbe<int>();
        var handle = source.Source.Select(x => x).RunWith(Sink.Seq<int>(), Materializer);
        source.SendNext(1);
        await source.ExpectPullsAsync(2);
        handle.Abort(new TestException("stop now"));
        Assert.Equal("stop now", (await Assert.ThrowsAsync<TestException>(() => handle.Completion)).Message);
        await AllStagesStopped(handle);
    }
}

public sealed class PropagationSpec : StreamSpec
{
    [Fact]
    public async Task A_failing_sink_must_cancel_the_source_through_every_stage()
    {
        var source = new SourceProbe<int>();
        var handle = source.Source
            .Select(x => x + 1)
            .Async(4)
            .SelectAsync(2, (x, _) => ValueTask.FromResult(x))
            .GroupedWithin(2, TimeSpan.FromSeconds(1))
            .RunWith(Sink.ForEach<IReadOnlyList<int>>(_ => throw new TestException("sink failed")), Materializer);
        source.SendNext(1, 2, 3);
        Assert.Equal("sink failed", (await Assert.ThrowsAsync<TestException>(() => handle.Completion)).Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_source_failure_must_reach_the_sink_through_every_stage()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source
            .Select(x => x)
            .Async(4)
            .SelectAsync(2, (x, _) => ValueTask.FromResult(x))
            .Merge(Source.Empty<int>())
            .KeepAlive(TimeSpan.FromSeconds(5), () => 0)
            .Throttle(100, TimeSpan.FromSeconds(1), 100), sink);
        source.SendNext(1);
        source.SendError(new TestException("source failed"));
        sink.Request(5);
        await sink.ExpectNextAsync(1);
        Assert.Equal("source failed", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_stream_must_be_reusable_each_run_being_a_new_materialization()
    {
        var graph = Source.From([1, 2, 3]).Select(x => x * 2).To(Sink.Seq<int>());
        var first = graph.Run(Materializer);
        var second = graph.Run(Materializer);
        Assert.Equal([2, 4, 6], await first.Completion);
        Assert.Equal([2, 4, 6], await second.Completion);
        await AllStagesStopped(first);
        await AllStagesStopped(second);
    }
}
