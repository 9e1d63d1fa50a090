using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Xunit.Abstractions;

namespace Alerting.Events.Tests;

public sealed class PartitionWatermarkStageSpec(ITestOutputHelper output) : StageSpec(output)
{
    private readonly EventTimeCounters _counters = new();

    private static long S(double seconds) => (long)(seconds * 1000);

    private static DeviceEvent EvMs(string topic, long time, string id = "") => new()
    {
        DeviceId = "42",
        Kind = "Fault",
        EventTime = time,
        EventId = id.Length > 0 ? id : $"{topic}@{time / 1000.0}",
        Fields = [],
        Topic = topic,
        Partition = 0,
        Offset = 1,
    };

    private static DeviceEvent Ev(string topic, double seconds, string id = "") => EvMs(topic, S(seconds), id);

    private static string Render(Timed t) =>
        t.IsWatermark ? $"wm {t.Watermark / 1000.0}" : $"{t.Event!.EventId}{(t.Event.IsLate ? " late" : "")}";

    private static PartitionWatermarkSettings Settings(double latenessS = 0, double outOfOrderS = 5) => new()
    {
        MaxOutOfOrderness = TimeSpan.FromSeconds(outOfOrderS),
        AllowedLateness = TimeSpan.FromSeconds(latenessS),
        IdleTimeout = TimeSpan.FromSeconds(30),
    };

    private (TestPublisher.Probe<DeviceEvent> Up, TestSubscriber.Probe<Timed> Out, TestSubscriber.Probe<LateEvent> Late) Run(PartitionWatermarkSettings settings)
    {
        var stage = new PartitionWatermarkStage(settings, counters: _counters);
        var graph = GraphDsl.Create(this.SourceProbe<DeviceEvent>(), this.SinkProbe<Timed>(), this.SinkProbe<LateEvent>(), (up, @out, late) => (up, @out, late),
            (b, up, @out, late) =>
            {
                var w = b.Add(stage);
                b.From(up.Outlet).To(w.In);
                b.From(w.Out0).To(@out.Inlet);
                b.From(w.Out1).To(late.Inlet);
                return ClosedShape.Instance;
            });
        return RunnableGraph.FromGraph(graph).Run(Materializer);
    }

    private static async Task<List<string>> Next(TestSubscriber.Probe<Timed> probe, int n)
    {
        var seen = new List<string>(n);
        for (var i = 0; i < n; i++)
        {
            seen.Add(Render(await probe.ExpectNextAsync()));
        }

        return seen;
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_interleave_events_with_advancing_watermarks_and_divert_too_late_events()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings(latenessS: 2));
            @out.Request(100);
            late.Request(100);
            foreach (var ev in new[] { Ev("a", 10), Ev("b", 12), Ev("a", 20), Ev("b", 8), Ev("b", 30), Ev("a", 14, "late"), Ev("a", 3, "too-late"), Ev("a", 40) })
            {
                await up.SendNextAsync(ev);
            }

            await up.SendCompleteAsync();

            Assert.Equal(["a@10", "wm 5", "b@12", "a@20", "wm 7", "b@8", "b@30", "wm 15", "late late", "a@40", "wm 25"], await Next(@out, 11));
            await @out.ExpectCompleteAsync();
            var tooLate = await late.ExpectNextAsync();
            await late.ExpectCompleteAsync();
            Assert.Equal(("too-late", S(15), LateBy.Watermark), (tooLate.Event.EventId, tooLate.Watermark, tooLate.By));
            Assert.Equal(DeadLetterHeaders.TooLateReason, tooLate.ToRecord().Header(DeadLetterHeaders.Reason));
            Assert.Equal((1L, 1L), (_counters.Late, _counters.TooLate));
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_advance_on_idleness_and_then_with_the_wall_clock_without_new_events()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings());
            @out.Request(100);
            late.Request(100);
            await up.SendNextAsync(Ev("b", 20));
            Assert.Equal(["b@20", "wm 15"], await Next(@out, 2));
            await up.SendNextAsync(Ev("a", 100));
            Assert.Equal(["a@100"], await Next(@out, 1));
            Scheduler.Advance(TimeSpan.FromSeconds(10));
            await up.SendNextAsync(Ev("a", 110));
            Assert.Equal(["a@110"], await Next(@out, 1));

            Scheduler.Advance(TimeSpan.FromSeconds(19));
            await @out.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // no topic idle yet

            Scheduler.Advance(TimeSpan.FromSeconds(1)); // b silent for 30 s: it stops holding the watermark back
            Assert.Equal(["wm 105"], await Next(@out, 1));

            Scheduler.Advance(TimeSpan.FromSeconds(15)); // a idle for 5 s too: event time goes on with the wall clock
            Assert.Equal(["wm 110"], await Next(@out, 1));
            Scheduler.Advance(TimeSpan.FromSeconds(5));
            Assert.Equal(["wm 115"], await Next(@out, 1));

            await up.SendNextAsync(Ev("b", 200)); // b wakes up; idle a does not hold it back
            Assert.Equal(["b@200", "wm 195"], await Next(@out, 2));
            await up.SendCompleteAsync();
            await @out.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_clamp_a_fast_device_clock_to_the_wall_clock_plus_the_skew()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings(outOfOrderS: 30) with { MaxClockSkew = TimeSpan.FromSeconds(10) });
            @out.Request(100);
            late.Request(100);
            var now = Scheduler.Now.ToUnixTimeMilliseconds();
            await up.SendNextAsync(EvMs("a", now - S(20), "honest-1"));
            Assert.Equal(["honest-1", $"wm {(now - S(50)) / 1000.0}"], await Next(@out, 2));
            await up.SendNextAsync(EvMs("a", now + S(240), "fast"));
            Assert.Equal(["fast", $"wm {(now - S(20)) / 1000.0}"], await Next(@out, 2));
            await up.SendNextAsync(EvMs("a", now - S(5), "honest-2"));
            Assert.Equal(["honest-2"], await Next(@out, 1)); // on time, not flagged late
            await up.SendCompleteAsync();
            await @out.ExpectCompleteAsync();
            await late.ExpectCompleteAsync();
            Assert.Equal((1L, 0L, 0L), (_counters.Clamped, _counters.Late, _counters.TooLate));
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_resume_from_a_restored_watermark()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings().WithResumeFrom(S(100)).WithPartitions(("a", 0), ("b", 0)));
            @out.Request(100);
            late.Request(100);
            Assert.Equal(["wm 100"], await Next(@out, 1));
            await up.SendNextAsync(Ev("a", 50, "old"));
            Assert.Equal("old", (await late.ExpectNextAsync()).Event.EventId);
            await up.SendNextAsync(Ev("a", 120));
            await up.SendNextAsync(Ev("b", 130));
            Assert.Equal(["a@120", "b@130", "wm 115"], await Next(@out, 3)); // b was declared: it held the watermark back
            await up.SendCompleteAsync();
            await @out.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_emit_a_final_watermark_when_asked_for_bounded_replays()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings().WithFinalWatermark(true));
            @out.Request(100);
            late.Request(100);
            await up.SendNextAsync(Ev("a", 10));
            await up.SendNextAsync(Ev("a", 11));
            await up.SendCompleteAsync();
            var seen = await Next(@out, 4);
            Assert.Equal(["a@10", "wm 5", "a@11", "wm 6"], seen);
            Assert.Equal(long.MaxValue, (await @out.ExpectNextAsync()).Watermark);
            await @out.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_wait_for_demand_on_the_late_outlet_instead_of_buffering()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings(outOfOrderS: 0));
            @out.Request(100);
            await up.SendNextAsync(Ev("a", 100));
            await up.SendNextAsync(Ev("a", 1, "x"));
            await up.SendNextAsync(Ev("a", 2, "y"));
            await up.SendNextAsync(Ev("a", 101, "after"));
            Assert.Equal(["a@100", "wm 100"], await Next(@out, 2));
            await @out.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // "x" waits for the late outlet: nothing passes it

            Assert.Equal("x", (await late.RequestNextAsync()).Event.EventId);
            await @out.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(100)); // now "y" waits
            Assert.Equal("y", (await late.RequestNextAsync()).Event.EventId);
            Assert.Equal(["after", "wm 101"], await Next(@out, 2));
            await up.SendCompleteAsync();
            await @out.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_fail_both_outlets_with_the_upstream_failure()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings());
            @out.Request(100);
            late.Request(100);
            await up.SendNextAsync(Ev("a", 1));
            Assert.Equal(["a@1", "wm -4"], await Next(@out, 2));
            await up.SendErrorAsync(new InvalidDataException("broken upstream"));
            Assert.Equal("broken upstream", (await @out.ExpectErrorAsync()).Message);
            Assert.Equal("broken upstream", (await late.ExpectErrorAsync()).Message);
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_cancel_upstream_and_stop_its_timer_when_downstream_cancels()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run(Settings());
            @out.Request(100);
            late.Request(100);
            await up.SendNextAsync(Ev("a", 100));
            Assert.Equal(["a@100", "wm 95"], await Next(@out, 2));
            await @out.CancelAsync();
            await up.ExpectCancellationAsync();
            await late.ExpectCompleteAsync();
            Scheduler.Advance(TimeSpan.FromMinutes(1)); // the idle timer of a stopped stage does nothing
        }, Materializer);
    }
}
