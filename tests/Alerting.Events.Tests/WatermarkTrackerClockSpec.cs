namespace Alerting.Events.Tests;

/// <summary>The wall-clock side of the tracker: the clamp of fast device clocks and the idle advance.</summary>
public sealed class WatermarkTrackerClockSpec
{
    private const string T = "device-events";
    private readonly ManualTimeProvider _clock = new();

    private long Now => _clock.GetUtcNow().ToUnixTimeMilliseconds();

    private static long S(double seconds) => (long)(seconds * 1000);

    private WatermarkTracker Tracker(double outOfOrderS = 30, double idleS = 30, double? skewS = 10, bool idleAdvance = false) =>
        new(TimeSpan.FromSeconds(outOfOrderS), TimeSpan.Zero, TimeSpan.FromSeconds(idleS), _clock,
            skewS is { } s ? TimeSpan.FromSeconds(s) : null, idleAdvance);

    [Fact]
    public void A_watermark_tracker_must_not_let_a_device_clock_four_minutes_fast_push_the_watermark_ahead()
    {
        var clamped = Tracker(skewS: 10);
        var unclamped = Tracker(skewS: null);
        foreach (var tracker in new[] { clamped, unclamped })
        {
            Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, Now - S(20)));
            Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, Now + S(240))); // the fast device: passed on as it is
        }

        // fed at most now + 10 s: the watermark is now + 10 s - 30 s, and an honest device 5 s behind is on time
        Assert.Equal(Now + S(10) - S(30), clamped.Watermark);
        Assert.Equal(Lateness.OnTime, clamped.Observe(T, 0, Now - S(5)));
        Assert.Equal(1, clamped.ClampedEvents);

        // without the clamp the fast clock suppresses everyone for four minutes
        Assert.Equal(Now + S(240) - S(30), unclamped.Watermark);
        Assert.Equal(Lateness.TooLate, unclamped.Observe(T, 0, Now - S(5)));
        Assert.Equal(0, unclamped.ClampedEvents);
    }

    [Fact]
    public void A_watermark_tracker_must_let_a_fast_clock_move_the_watermark_only_as_fast_as_the_wall_clock()
    {
        var tracker = Tracker(skewS: 10);
        var start = Now;
        tracker.Observe(T, 0, start + S(240));
        Assert.Equal(start + S(10) - S(30), tracker.Watermark);

        _clock.Advance(TimeSpan.FromSeconds(60));
        tracker.Observe(T, 0, start + S(300));
        Assert.Equal(start + S(70) - S(30), tracker.Watermark);

        // a time within the skew is fed as it is
        _clock.Advance(TimeSpan.FromSeconds(300));
        tracker.Observe(T, 0, start + S(305));
        Assert.Equal(start + S(305) - S(30), tracker.Watermark);
        Assert.Equal(2, tracker.ClampedEvents);
    }

    [Fact]
    public void A_watermark_tracker_must_clamp_the_times_of_records_read_again_too()
    {
        var tracker = Tracker(skewS: 10);
        tracker.Advance(T, 0, Now + S(600));
        Assert.Equal(Now + S(10) - S(30), tracker.Watermark);
        Assert.Equal(1, tracker.ClampedEvents);
    }

    [Fact]
    public void A_watermark_tracker_must_move_an_idle_partition_on_with_the_wall_clock_when_asked()
    {
        var advancing = Tracker(outOfOrderS: 5, idleS: 30, idleAdvance: true);
        var still = Tracker(outOfOrderS: 5, idleS: 30, idleAdvance: false);
        var last = Now - S(60); // history: the partition's events are a minute behind the wall clock
        foreach (var tracker in new[] { advancing, still })
        {
            tracker.Observe(T, 3, last);
        }

        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.False(advancing.Refresh(), "just idle: nothing has passed yet");
        Assert.True(advancing.IsIdle(T, 3));
        Assert.Equal(last - S(5), advancing.Watermark);

        _clock.Advance(TimeSpan.FromSeconds(20));
        Assert.True(advancing.Refresh());
        Assert.False(still.Refresh());
        Assert.Equal(last - S(5) + S(20), advancing.Watermark); // from where it was, at the wall clock's pace
        Assert.Equal(last - S(5), still.Watermark);

        // the partition's next event wakes it up behind the watermark, which does not move back
        Assert.Equal(Lateness.TooLate, advancing.Observe(T, 3, last + S(10)));
        Assert.False(advancing.IsIdle(T, 3));
        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.False(advancing.Refresh());
        Assert.Equal(last - S(5) + S(20), advancing.Watermark);
        advancing.Observe(T, 3, last + S(30));
        Assert.Equal(last + S(25), advancing.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_not_move_an_idle_partition_that_never_had_an_event()
    {
        var tracker = Tracker(idleAdvance: true);
        tracker.Register(T, 0);
        _clock.Advance(TimeSpan.FromMinutes(5));
        Assert.False(tracker.Refresh());
        Assert.Equal(WatermarkTracker.NoWatermark, tracker.Watermark);
        Assert.Null(tracker.NextIdleCheck);
    }

    [Fact]
    public void A_watermark_tracker_must_refuse_a_negative_clock_skew()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => Tracker(skewS: -1));
    }
}
