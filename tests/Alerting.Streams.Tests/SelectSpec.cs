using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class SelectSpec : StreamSpec
{
    [Fact]
    public async Task A_Select_must_map_each_element_in_order()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(x => x * 10));
        source.SendNext(1, 2, 3);
        source.SendComplete();
        Assert.Equal([10, 20, 30], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_pull_upstream_only_as_far_as_downstream_requested()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(x => x + 1).Select(x => x * 2));
        source.SendNext(Enumerable.Range(0, 100));
        await sink.RequestNextAsync(2);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(1, source.Pulls);
        await sink.RequestNextAsync(4);
        Assert.Equal(2, source.Pulls);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_pass_upstream_failure_downstream()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(x => x));
        source.SendNext(1);
        source.SendError(new TestException("upstream"));
        await sink.RequestNextAsync(1);
        sink.Request(1);
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_fail_downstream_and_cancel_upstream_when_the_function_throws_under_Stop()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(x => x == 2 ? throw new TestException("bad") : x));
        source.SendNext(1, 2, 3);
        await sink.RequestNextAsync(1);
        sink.Request(1);
        Assert.Equal("bad", (await sink.ExpectErrorAsync()).Message);
        await source.ExpectCancellationAsync();
        await Assert.ThrowsAsync<TestException>(() => handle.Completion);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_drop_the_element_and_route_it_to_dead_letters_under_Resume()
    {
        var deadLetters = new SideOutput<DeadLetter>(8);
        var (source, sink, handle) = Probe(Flow.Create<int>().Select(
            x => x % 2 == 0 ? throw new TestException($"even {x}") : x,
            SupervisionStrategy.Resuming(deadLetters)));
        source.SendNext(1, 2, 3, 4, 5);
        source.SendComplete();
        Assert.Equal([1, 3, 5], await sink.ToListAsync());
        Assert.True(deadLetters.TryRead(out var first));
        Assert.Equal(2, first.Element);
        Assert.Equal("even 2", first.Exception.Message);
        Assert.Equal("Select", first.Stage);
        Assert.True(deadLetters.TryRead(out var second));
        Assert.Equal(4, second.Element);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_use_the_decider_per_exception_type()
    {
        var decider = new SupervisionStrategy(ex => ex is FormatException ? Directive.Resume : Directive.Stop);
        var (source, sink, handle) = Probe(Flow.Create<string>().Select(s => s == "boom" ? throw new TestException("boom") : int.Parse(s, System.Globalization.CultureInfo.InvariantCulture), decider));
        source.SendNext("1", "x", "2", "boom", "3");
        sink.Request(10);
        await sink.ExpectNextNAsync([1, 2]);
        Assert.Equal("boom", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Select_must_use_the_materializer_supervision_when_it_has_none()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = source.Source.Select(x => 10 / x).RunWith(sink.Sink, new Materializer(Clock, SupervisionStrategy.Resuming()));
        source.SendNext(1, 0, 2);
        source.SendComplete();
        Assert.Equal([10, 5], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }
}

public sealed class WhereSpec : StreamSpec
{
    [Fact]
    public async Task A_Where_must_keep_only_matching_elements_in_order()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Where(x => x % 3 == 0));
        source.SendNext(Enumerable.Range(1, 10));
        source.SendComplete();
        Assert.Equal([3, 6, 9], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Where_must_pull_until_an_element_passes_and_no_further()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Where(x => x > 3));
        source.SendNext(1, 2, 3, 4, 5, 6);
        await sink.RequestNextAsync(4);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(4, source.Pulls);
        sink.Cancel();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Where_must_resume_past_a_throwing_predicate_when_told_to()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Where(x => x == 2 ? throw new TestException("p") : true, SupervisionStrategy.Resuming()));
        source.SendNext(1, 2, 3);
        source.SendComplete();
        Assert.Equal([1, 3], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Where_must_fail_on_a_throwing_predicate_by_default()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Where(x => x == 2 ? throw new TestException("p") : true));
        source.SendNext(1, 2, 3);
        sink.Request(3);
        await sink.ExpectNextAsync(1);
        await sink.ExpectErrorAsync();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }
}

public sealed class ScanSpec : StreamSpec
{
    [Fact]
    public async Task A_Scan_must_emit_the_running_aggregate()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Scan(0, (acc, x) => acc + x));
        source.SendNext(1, 2, 3);
        source.SendComplete();
        Assert.Equal([1, 3, 6], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Scan_must_keep_its_state_under_Resume()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Scan(0, (acc, x) => x < 0 ? throw new TestException("neg") : acc + x, SupervisionStrategy.Resuming()));
        source.SendNext(1, 2, -1, 3);
        source.SendComplete();
        Assert.Equal([1, 3, 6], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Scan_must_reset_its_state_under_Restart()
    {
        var deadLetters = new SideOutput<DeadLetter>(4);
        var (source, sink, handle) = Probe(Flow.Create<int>().Scan(0, (acc, x) => x < 0 ? throw new TestException("neg") : acc + x, SupervisionStrategy.Restarting(deadLetters)));
        source.SendNext(1, 2, -1, 3);
        source.SendComplete();
        Assert.Equal([1, 3, 3], await sink.ToListAsync());
        Assert.True(deadLetters.TryRead(out var dropped));
        Assert.Equal(-1, dropped.Element);
        await AllStagesStopped(handle);
    }
}
