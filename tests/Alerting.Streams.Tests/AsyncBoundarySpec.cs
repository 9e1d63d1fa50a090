using Alerting.Streams;

namespace Alerting.Streams.Tests;

public sealed class AsyncBoundarySpec : StreamSpec
{
    [Fact]
    public async Task An_Async_boundary_must_pass_elements_in_order_and_complete()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(4));
        source.SendNext(Enumerable.Range(1, 50));
        source.SendComplete();
        Assert.Equal(Enumerable.Range(1, 50), await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task An_Async_boundary_must_pull_upstream_at_most_buffer_size_ahead_of_a_sink_that_requests_one()
    {
        const int size = 8;
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(size));
        source.SendNext(Enumerable.Range(1, 1000));
        await sink.RequestNextAsync(1);
        await source.ExpectPullsAsync(size + 1);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(100));
        Assert.InRange(source.Pulls, size + 1, 1 + size + 1);
        await sink.RequestNextAsync(2);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.InRange(source.Pulls, size + 2, 2 + size + 1);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task An_Async_boundary_must_deliver_the_elements_before_an_upstream_failure_then_the_failure()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(4));
        source.SendNext(1, 2);
        source.SendError(new TestException("upstream"));
        sink.Request(5);
        await sink.ExpectNextNAsync([1, 2]);
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task An_Async_boundary_must_cancel_its_upstream_task_when_downstream_cancels()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(x => x).Async(2).Select(x => x));
        sink.Request(1);
        await source.ExpectRequestAsync();
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
        Assert.Contains(handle.Context.Stages, s => s.Name == "Async.upstream");
    }

    [Fact]
    public async Task An_Async_boundary_must_fail_downstream_when_a_stage_after_it_fails_and_cancel_the_source()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(2).Select(x => x == 3 ? throw new TestException("after") : x));
        source.SendNext(1, 2, 3, 4);
        sink.Request(4);
        await sink.ExpectNextNAsync([1, 2]);
        Assert.Equal("after", (await sink.ExpectErrorAsync()).Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_chunked_Async_boundary_must_pass_many_elements_in_order_and_complete()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().Async(64));
        source.SendNext(Enumerable.Range(1, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        source.SendComplete();
        Assert.Equal(Enumerable.Range(1, 5000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)), await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_chunked_Async_boundary_must_pull_upstream_at_most_buffer_size_ahead_of_a_sink_that_requests_one()
    {
        const int size = 64;
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(size));
        source.SendNext(Enumerable.Range(1, 1000));
        await sink.RequestNextAsync(1);
        await source.ExpectPullsAsync(size / 2);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(100));
        Assert.InRange(source.Pulls, size / 2, 1 + size + 1);
        sink.Request(10);
        await sink.ExpectNextNAsync(Enumerable.Range(2, 10));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.InRange(source.Pulls, size / 2, 11 + size + 1);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_chunked_Async_boundary_must_hand_over_a_partial_chunk_as_soon_as_upstream_waits()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Async(256));
        sink.Request(10);
        source.SendNext(1, 2, 3);
        await sink.ExpectNextNAsync([1, 2, 3]);
        source.SendNext(4);
        await sink.ExpectNextAsync(4);
        source.SendError(new TestException("upstream"));
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }
}
