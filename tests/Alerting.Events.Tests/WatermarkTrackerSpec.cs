namespace Alerting.Events.Tests;

public sealed class WatermarkTrackerSpec
{
    private const string T = "device-events";
    private readonly ManualTimeProvider _clock = new();

    private static long S(double seconds) => (long)(seconds * 1000);

    private WatermarkTracker Tracker(double outOfOrderS = 5, double latenessS = 0, double idleS = 30) =>
        new(TimeSpan.FromSeconds(outOfOrderS), TimeSpan.FromSeconds(latenessS), TimeSpan.FromSeconds(idleS), _clock);

    [Fact]
    public void A_watermark_tracker_must_start_without_a_watermark_and_follow_max_event_time_minus_out_of_orderness()
    {
        var tracker = Tracker();
        Assert.Equal(WatermarkTracker.NoWatermark, tracker.Watermark);
        Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, S(10)));
        Assert.Equal(S(5), tracker.Watermark);
        Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, S(7)));
        Assert.Equal(S(5), tracker.Watermark);
        Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, S(5)));
        Assert.Equal(Lateness.OnTime, tracker.Observe(T, 0, S(12)));
        Assert.Equal(S(7), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_tell_late_from_too_late_by_the_allowed_lateness()
    {
        var tracker = Tracker(latenessS: 2);
        tracker.Observe(T, 0, S(10));
        Assert.Equal(Lateness.Late, tracker.Observe(T, 0, S(4.5)));
        Assert.Equal(Lateness.Late, tracker.Observe(T, 0, S(3)));
        Assert.Equal(Lateness.TooLate, tracker.Observe(T, 0, S(2.999)));
        Assert.Equal(2, tracker.LateEvents);
        Assert.Equal(1, tracker.TooLateEvents);

        var strict = Tracker(latenessS: 0);
        strict.Observe(T, 0, S(10));
        Assert.Equal(Lateness.TooLate, strict.Observe(T, 0, S(4.999)));
        Assert.Equal(0, strict.LateEvents);
    }

    [Fact]
    public void A_watermark_tracker_must_take_the_minimum_over_active_partitions()
    {
        var tracker = Tracker();
        tracker.Observe(T, 0, S(100));
        Assert.Equal(S(95), tracker.Watermark);
        tracker.Observe(T, 1, S(20));
        Assert.Equal(S(95), tracker.Watermark); // never decreases, partition 1 holds it from here on
        tracker.Observe(T, 0, S(200));
        Assert.Equal(S(95), tracker.Watermark);
        tracker.Observe(T, 1, S(150));
        Assert.Equal(S(145), tracker.Watermark);
        tracker.Observe("other-topic", 1, S(120));
        Assert.Equal(S(145), tracker.Watermark);
        tracker.Observe(T, 1, S(300));
        Assert.Equal(S(145), tracker.Watermark); // other-topic/1 holds it at 115, so it stays
        tracker.Observe("other-topic", 1, S(400));
        Assert.Equal(S(195), tracker.Watermark);
        tracker.Observe(T, 0, S(250));
        Assert.Equal(S(245), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_stop_waiting_for_an_idle_partition_and_wait_again_when_it_wakes_up()
    {
        var tracker = Tracker(latenessS: 10);
        tracker.Register(T, 0);
        tracker.Register(T, 1);
        tracker.Observe(T, 0, S(100));
        tracker.Observe(T, 1, S(20));
        Assert.Equal(S(15), tracker.Watermark);

        _clock.Advance(TimeSpan.FromSeconds(20));
        tracker.Observe(T, 0, S(110));
        Assert.False(tracker.Refresh());
        Assert.Equal(_clock.GetUtcNow().AddSeconds(10), tracker.NextIdleCheck);

        _clock.Advance(TimeSpan.FromSeconds(10));
        Assert.True(tracker.Refresh());
        Assert.True(tracker.IsIdle(T, 1));
        Assert.Equal(S(105), tracker.Watermark);

        // wakes up behind: late, the watermark does not go back, and now it holds the stage back again
        Assert.Equal(Lateness.Late, tracker.Observe(T, 1, S(96)));
        Assert.Equal(Lateness.TooLate, tracker.Observe(T, 1, S(94)));
        Assert.False(tracker.IsIdle(T, 1));
        Assert.Equal(S(105), tracker.Watermark);
        tracker.Observe(T, 0, S(300));
        Assert.Equal(S(105), tracker.Watermark);
        tracker.Observe(T, 1, S(200));
        Assert.Equal(S(195), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_move_to_the_largest_partition_watermark_when_every_partition_is_idle()
    {
        var tracker = Tracker();
        tracker.Observe(T, 0, S(100));
        tracker.Observe(T, 1, S(50));
        Assert.Equal(S(95), tracker.Watermark);
        tracker.Observe(T, 2, S(60));
        tracker.Observe(T, 1, S(70));
        Assert.Equal(S(95), tracker.Watermark);
        tracker.Observe(T, 1, S(130));
        tracker.Observe(T, 2, S(120));
        Assert.Equal(S(95), tracker.Watermark);
        _clock.Advance(TimeSpan.FromSeconds(30));
        Assert.True(tracker.Refresh());
        Assert.Equal(3, tracker.IdlePartitions);
        Assert.Equal(S(125), tracker.Watermark);
        Assert.Null(tracker.NextIdleCheck);
    }

    [Fact]
    public void A_watermark_tracker_must_be_held_back_by_a_registered_partition_until_it_is_idle_or_removed()
    {
        var tracker = Tracker();
        tracker.Register(T, 1);
        tracker.Observe(T, 0, S(100));
        Assert.Equal(WatermarkTracker.NoWatermark, tracker.Watermark);
        Assert.True(tracker.Remove(T, 1));
        Assert.Equal(S(95), tracker.Watermark);

        var other = Tracker();
        other.Register(T, 1);
        other.Observe(T, 0, S(100));
        _clock.Advance(TimeSpan.FromSeconds(31));
        other.Observe(T, 0, S(101));
        Assert.True(other.Refresh());
        Assert.Equal(S(96), other.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_never_mark_partitions_idle_when_idleness_is_disabled()
    {
        var tracker = Tracker(idleS: 0);
        tracker.Observe(T, 0, S(100));
        tracker.Observe(T, 1, S(10));
        _clock.Advance(TimeSpan.FromHours(1));
        Assert.False(tracker.Refresh());
        Assert.Null(tracker.NextIdleCheck);
        Assert.Equal(S(95), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_be_monotonic_and_classify_consistently_under_random_disorder_and_idleness()
    {
        var random = new Random(1234);
        var tracker = Tracker(outOfOrderS: 2, latenessS: 1, idleS: 5);
        var last = tracker.Watermark;
        var maxPerPartition = new long[4];
        for (var i = 0; i < 20_000; i++)
        {
            var partition = random.Next(random.Next(10) == 0 ? 4 : 3); // partition 3 is rarely seen
            var time = S(i / 10.0) - random.Next(4000);
            var before = tracker.Watermark;
            var lateness = tracker.Observe(T, partition, time);
            var expected = before == WatermarkTracker.NoWatermark || time >= before ? Lateness.OnTime
                : time >= before - 1000 ? Lateness.Late : Lateness.TooLate;
            Assert.Equal(expected, lateness);
            maxPerPartition[partition] = Math.Max(maxPerPartition[partition], time);
            Assert.True(tracker.Watermark <= maxPerPartition.Max() - 2000, "the watermark passed every partition's bound");
            if (random.Next(50) == 0)
            {
                _clock.Advance(TimeSpan.FromMilliseconds(random.Next(8000)));
                tracker.Refresh();
            }

            Assert.True(tracker.Watermark >= last, $"watermark went back from {last} to {tracker.Watermark}");
            last = tracker.Watermark;
        }

        Assert.True(tracker.LateEvents > 0);
        Assert.True(tracker.TooLateEvents > 0);
    }
}
