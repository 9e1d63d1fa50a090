using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class ThrottleSpec : StreamSpec
{
    [Fact]
    public async Task A_Throttle_must_let_a_burst_through_then_one_element_per_interval()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Throttle(1, TimeSpan.FromSeconds(1), maximumBurst: 2));
        source.SendNext(1, 2, 3, 4);
        source.SendComplete();
        sink.Request(10);
        await sink.ExpectNextNAsync([1, 2]);
        await Clock.WaitForArmedTimersAsync(1);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await sink.ExpectNextAsync(3);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(1));
        await sink.ExpectNextAsync(4);
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Throttle_must_not_wait_when_elements_come_slower_than_the_rate()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Throttle(1, TimeSpan.FromSeconds(1)));
        sink.Request(10);
        for (var i = 0; i < 3; i++)
        {
            source.SendNext(i);
            await sink.ExpectNextAsync(i);
            Clock.Advance(TimeSpan.FromSeconds(1));
        }
        Assert.Equal(0, Clock.ArmedTimers);
        sink.Cancel();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Throttle_must_cancel_its_wait_when_downstream_cancels()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().Throttle(1, TimeSpan.FromHours(1)));
        source.SendNext(1, 2);
        sink.Request(2);
        await sink.ExpectNextAsync(1);
        await Clock.WaitForArmedTimersAsync(1);
        sink.Cancel();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
    }
}

public sealed class TickSpec : StreamSpec
{
    [Fact]
    public async Task A_Tick_must_emit_after_the_initial_delay_then_every_interval()
    {
        var sink = new SinkProbe<string>();
        var handle = Run(Source.Tick(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(5), "tick"), sink);
        sink.Request(3);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromMilliseconds(999));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await sink.ExpectNextAsync("tick");
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(4));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromSeconds(1));
        await sink.ExpectNextAsync("tick");
        sink.Cancel();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
    }

    [Fact]
    public async Task A_Tick_must_not_queue_ticks_while_downstream_is_not_pulling()
    {
        var sink = new SinkProbe<int>();
        var handle = Run(Source.Tick(TimeSpan.Zero, TimeSpan.FromSeconds(1), 7), sink);
        await sink.RequestNextAsync(7);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(10));
        sink.Request(5);
        await sink.ExpectNextAsync(7);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        sink.Cancel();
        await AllStagesStopped(handle);
    }
}

public sealed class KeepAliveSpec : StreamSpec
{
    [Fact]
    public async Task A_KeepAlive_must_inject_an_element_when_upstream_is_idle_for_maxIdle()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().KeepAlive(TimeSpan.FromSeconds(2), () => -1));
        sink.Request(10);
        source.SendNext(1);
        await sink.ExpectNextAsync(1);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromMilliseconds(1999));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromMilliseconds(1));
        await sink.ExpectNextAsync(-1);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(2));
        await sink.ExpectNextAsync(-1);
        source.SendNext(2);
        await sink.ExpectNextAsync(2);
        source.SendComplete();
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_KeepAlive_must_not_inject_while_upstream_keeps_emitting()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().KeepAlive(TimeSpan.FromSeconds(2), () => -1));
        sink.Request(10);
        for (var i = 0; i < 5; i++)
        {
            await Clock.WaitForArmedTimersAsync(1);
            Clock.Advance(TimeSpan.FromSeconds(1));
            source.SendNext(i);
            await sink.ExpectNextAsync(i);
        }
        sink.Cancel();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
    }

    [Fact]
    public async Task A_KeepAlive_must_not_inject_when_downstream_is_not_pulling()
    {
        var (source, sink, handle) = Probe(Flow.Create<int>().KeepAlive(TimeSpan.FromSeconds(1), () => -1));
        Clock.Advance(TimeSpan.FromSeconds(10));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Assert.Equal(0, source.Pulls);
        source.SendNext(5);
        await sink.RequestNextAsync(5);
        sink.Cancel();
        await AllStagesStopped(handle);
    }
}
