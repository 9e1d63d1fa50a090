using Alerting.Streams;

namespace Alerting.Streams.Tests;

public sealed class GroupedWithinSpec : StreamSpec
{
    [Fact]
    public async Task A_GroupedWithin_must_emit_a_group_as_soon_as_it_is_full()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(3, TimeSpan.FromSeconds(1)));
        source.SendNext(1, 2, 3, 4, 5, 6, 7);
        source.SendComplete();
        sink.Request(1);
        Assert.Equal([1, 2, 3], await sink.ExpectNextAsync());
        sink.Request(1);
        Assert.Equal([4, 5, 6], await sink.ExpectNextAsync());
        sink.Request(1);
        Assert.Equal([7], await sink.ExpectNextAsync());
        sink.Request(1);
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupedWithin_must_group_elements_within_the_duration()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(100, TimeSpan.FromSeconds(1)));
        sink.Request(1);
        source.SendNext(1, 2);
        await source.ExpectPullsAsync(3);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([1, 2], await sink.ExpectNextAsync());

        sink.Request(1);
        source.SendNext(3);
        await source.ExpectPullsAsync(4);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([3], await sink.ExpectNextAsync());
        source.SendComplete();
        sink.Request(1);
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupedWithin_must_not_emit_empty_groups()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(10, TimeSpan.FromSeconds(1)));
        sink.Request(1);
        await source.ExpectRequestAsync();
        Assert.Equal(0, Clock.ArmedTimers);
        Clock.Advance(TimeSpan.FromSeconds(5));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        source.SendNext(1);
        source.SendComplete();
        Assert.Equal([1], await sink.ExpectNextAsync());
        sink.Request(1);
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupedWithin_must_emit_an_overdue_group_at_the_next_pull_when_downstream_was_slow()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(10, TimeSpan.FromSeconds(1)));
        sink.Request(1);
        source.SendNext(1, 2);
        await source.ExpectPullsAsync(3);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([1, 2], await sink.ExpectNextAsync());
        // The pending pull gets 3 and 4 while downstream is not asking: the stage must not pull further.
        source.SendNext(3);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Assert.Equal(3, source.Pulls);
        Clock.Advance(TimeSpan.FromSeconds(2));
        sink.Request(1);
        source.SendNext(4);
        await source.ExpectPullsAsync(5);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal([3, 4], await sink.ExpectNextAsync());
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupedWithin_must_fail_on_upstream_failure_and_stop_its_timer()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(10, TimeSpan.FromSeconds(1)));
        sink.Request(1);
        source.SendNext(1);
        await source.ExpectPullsAsync(2);
        await Clock.WaitForArmedTimersAsync(1);
        source.SendError(new TestException("upstream"));
        Assert.Equal("upstream", (await sink.ExpectErrorAsync()).Message);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupedWithin_must_stop_its_timer_when_downstream_cancels()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupedWithin(10, TimeSpan.FromSeconds(1)));
        sink.Request(1);
        source.SendNext(1);
        await source.ExpectPullsAsync(2);
        await Clock.WaitForArmedTimersAsync(1);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
    }
}
