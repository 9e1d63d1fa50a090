using Alerting.Streams;
using Alerting.TestKit.Streams;
using Alerting.TestKit.Time;
using Xunit.Sdk;

namespace Alerting.Streams.Tests;

public sealed class ManualTimeProviderSpec
{
    [Fact]
    public void A_ManualTimeProvider_must_move_wall_clock_and_timestamps_only_when_advanced()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero));
        var t0 = clock.GetTimestamp();
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 0, 0, TimeSpan.Zero), clock.GetUtcNow());
        clock.Advance(TimeSpan.FromSeconds(90));
        Assert.Equal(new DateTimeOffset(2026, 3, 1, 0, 1, 30, TimeSpan.Zero), clock.GetUtcNow());
        Assert.Equal(TimeSpan.FromSeconds(90), clock.GetElapsedTime(t0));
    }

    [Fact]
    public void A_ManualTimeProvider_must_fire_timers_in_due_order_at_their_due_time()
    {
        var clock = new ManualTimeProvider();
        var start = clock.GetUtcNow();
        var fired = new List<(string, TimeSpan)>();
        using var late = clock.CreateTimer(_ => fired.Add(("late", clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(3), Timeout.InfiniteTimeSpan);
        using var early = clock.CreateTimer(_ => fired.Add(("early", clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        using var periodic = clock.CreateTimer(_ => fired.Add(("tick", clock.GetUtcNow() - start)), null, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(2));

        clock.Advance(TimeSpan.FromSeconds(5));

        Assert.Equal(
            [("early", TimeSpan.FromSeconds(1)), ("tick", TimeSpan.FromSeconds(2)), ("late", TimeSpan.FromSeconds(3)), ("tick", TimeSpan.FromSeconds(4))],
            fired);
        Assert.Equal(1, clock.ArmedTimers);
    }

    [Fact]
    public void A_ManualTimeProvider_must_not_fire_disposed_or_disarmed_timers()
    {
        var clock = new ManualTimeProvider();
        var fired = 0;
        var disposed = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        var disarmed = clock.CreateTimer(_ => fired++, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        disposed.Dispose();
        Assert.True(disarmed.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal(0, fired);
        Assert.Equal(0, clock.ArmedTimers);
        disarmed.Dispose();
        Assert.Equal(0, clock.LiveTimers);
    }

    [Fact]
    public async Task A_ManualTimeProvider_must_drive_Task_Delay_and_dispose_its_timer()
    {
        var clock = new ManualTimeProvider();
        var delay = Task.Delay(TimeSpan.FromMinutes(1), clock, CancellationToken.None);
        clock.Advance(TimeSpan.FromSeconds(59));
        Assert.False(delay.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        await delay.WaitAsync(TimeSpan.FromSeconds(3));
        Assert.Equal(0, clock.ArmedTimers);

        using var cts = new CancellationTokenSource();
        var cancelled = Task.Delay(TimeSpan.FromMinutes(1), clock, cts.Token);
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled.WaitAsync(TimeSpan.FromSeconds(3)));
        Assert.Equal(0, clock.LiveTimers);
    }

    [Fact]
    public async Task A_ManualTimeProvider_must_drive_PeriodicTimer()
    {
        var clock = new ManualTimeProvider();
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(10), clock);
        var tick = timer.WaitForNextTickAsync(CancellationToken.None).AsTask();
        clock.Advance(TimeSpan.FromSeconds(9));
        Assert.False(tick.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.True(await tick.WaitAsync(TimeSpan.FromSeconds(3)));
        var next = timer.WaitForNextTickAsync(CancellationToken.None).AsTask();
        Assert.False(next.IsCompleted);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(await next.WaitAsync(TimeSpan.FromSeconds(3)));
    }

    [Fact]
    public async Task A_ManualTimeProvider_must_let_a_test_wait_until_a_timer_is_armed()
    {
        var clock = new ManualTimeProvider();
        var wait = clock.WaitForArmedTimersAsync(1);
        Assert.False(wait.IsCompleted);
        using var timer = clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        await wait;
        await Assert.ThrowsAsync<TimeoutException>(() => clock.WaitForArmedTimersAsync(2, TimeSpan.FromMilliseconds(50)));
    }
}

public sealed class ProbeSpec : StreamSpec
{
    [Fact]
    public async Task A_SourceProbe_must_report_the_demand_that_reached_it()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source, sink);
        source.SendNext(1, 2, 3);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        Assert.Equal(0, source.Pulls);
        sink.Request(2);
        await sink.ExpectNextNAsync([1, 2]);
        await source.ExpectPullsAsync(2);
        Assert.Equal(2, source.Pulls);
        Assert.Equal(2, source.Delivered);
        sink.Request(1);
        await sink.ExpectNextAsync(3);
        sink.Request(1);
        await source.ExpectRequestAsync();
        source.SendComplete();
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_SinkProbe_must_fail_an_expectation_that_is_not_met()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source, sink);
        source.SendNext(1);
        sink.Request(1);
        await Assert.ThrowsAnyAsync<XunitException>(() => sink.ExpectNextAsync(2));
        await Assert.ThrowsAsync<FailException>(() => sink.ExpectCompleteAsync(TimeSpan.FromMilliseconds(50)));
        source.SendError(new InvalidOperationException("boom"));
        sink.Request(1);
        await Assert.ThrowsAsync<FailException>(() => sink.ExpectNextAsync());
        await Assert.ThrowsAnyAsync<InvalidOperationException>(() => handle.Completion);
    }

    [Fact]
    public async Task A_SinkProbe_cancel_must_reach_the_source()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source, sink);
        sink.Request(1);
        await source.ExpectRequestAsync();
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task AllStagesStopped_must_fail_when_a_stage_is_still_running()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source, sink);
        sink.Request(1);
        await source.ExpectRequestAsync();
        handle.Context.Register("leaked stage");
        await Assert.ThrowsAsync<FailException>(() => StreamAssert.AllStagesStoppedAsync(handle.Context, timeout: TimeSpan.FromMilliseconds(50)));
        sink.Cancel();
        await Assert.ThrowsAsync<FailException>(() => StreamAssert.AllStagesStoppedAsync(handle, timeout: TimeSpan.FromMilliseconds(200)));
    }

    [Fact]
    public async Task AllStagesStopped_must_fail_when_a_timer_is_still_armed()
    {
        var source = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(source.Source, sink);
        source.SendComplete();
        sink.Request(1);
        await sink.ExpectCompleteAsync();
        using var leaked = Clock.CreateTimer(_ => { }, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);
        await Assert.ThrowsAsync<FailException>(() => StreamAssert.AllStagesStoppedAsync(handle, Clock, TimeSpan.FromMilliseconds(50)));
    }
}
