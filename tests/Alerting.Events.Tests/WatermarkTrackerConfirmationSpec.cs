namespace Alerting.Events.Tests;

/// <summary>The idle advance with confirmation: quiet counts only as far as the broker confirmed it.</summary>
public sealed class WatermarkTrackerConfirmationSpec
{
    private const string A = "device-events";
    private const string B = "device-status";
    private readonly ManualTimeProvider _clock = new();

    private DateTimeOffset Now => _clock.GetUtcNow();

    private long NowMs => Now.ToUnixTimeMilliseconds();

    private static long S(double seconds) => (long)(seconds * 1000);

    private WatermarkTracker Tracker(bool confirm = true) =>
        new(TimeSpan.FromSeconds(5), TimeSpan.Zero, TimeSpan.FromSeconds(30), _clock, TimeSpan.FromSeconds(10), idleAdvance: true, requireConfirmation: confirm);

    private void Pass(double seconds) => _clock.Advance(TimeSpan.FromSeconds(seconds));

    [Fact]
    public void A_watermark_tracker_must_move_an_idle_partition_on_only_up_to_the_last_confirmed_moment()
    {
        var tracker = Tracker();
        var last = NowMs;
        tracker.Observe(A, 0, last);
        Pass(30);
        tracker.Refresh();
        Assert.True(tracker.IsIdle(A, 0));
        Assert.Equal(1, tracker.UnconfirmedIdlePartitions);

        Pass(20); // 20 s idle, nothing confirmed: it holds
        tracker.Refresh();
        Assert.Equal(last - S(5), tracker.Watermark);

        var asked = Now;
        Pass(1); // the answer comes a second later: it confirms the moment the question was asked
        Assert.True(tracker.ConfirmCaughtUp(A, 0, asked));
        Assert.Equal(last - S(5) + S(20), tracker.Watermark);
        Assert.Equal(0, tracker.UnconfirmedIdlePartitions);

        Pass(40); // no later confirmation: the wall clock goes on, the watermark does not
        Assert.False(tracker.Refresh());
        Assert.Equal(last - S(5) + S(20), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_must_hold_an_idle_partition_once_the_broker_shows_a_backlog_and_go_on_once_it_is_caught_up_again()
    {
        var tracker = Tracker();
        var last = NowMs;
        tracker.Observe(A, 0, last);
        Pass(30);
        tracker.Refresh();
        for (var i = 0; i < 10; i++)
        {
            Pass(1);
            tracker.ConfirmCaughtUp(A, 0, Now);
        }

        Assert.Equal(last - S(5) + S(10), tracker.Watermark);

        // fetches fail: the log end moves past what was read; 40 s of wall clock pass
        tracker.NotCaughtUp(A, 0);
        Assert.False(tracker.IsConfirmedCaughtUp(A, 0));
        Pass(40);
        Assert.False(tracker.Refresh());
        Assert.Equal(last - S(5) + S(10), tracker.Watermark);

        // the backlog arrives: an event written during the outage is on time, not overtaken by the idle advance
        Assert.Equal(Lateness.OnTime, tracker.Observe(A, 0, last + S(15)));
        Assert.Equal(last + S(10), tracker.Watermark);
    }

    [Fact]
    public void A_watermark_tracker_without_confirmation_must_move_on_with_the_wall_clock_as_before()
    {
        var tracker = Tracker(confirm: false);
        var last = NowMs;
        tracker.Observe(A, 0, last);
        Pass(30);
        tracker.Refresh();
        Pass(20);
        Assert.True(tracker.Refresh());
        Assert.Equal(last - S(5) + S(20), tracker.Watermark);
        Assert.Equal(0, tracker.UnconfirmedIdlePartitions);
    }

    [Fact]
    public void A_watermark_tracker_must_let_an_unconfirmed_idle_partition_hold_back_the_other_topics_of_its_partition()
    {
        var tracker = Tracker();
        var start = NowMs;
        tracker.Observe(A, 0, start);
        tracker.Observe(B, 0, start);
        Pass(30);
        tracker.Observe(B, 0, start + S(30)); // B goes on, A goes quiet
        Pass(1);
        tracker.Refresh();
        Assert.True(tracker.IsIdle(A, 0));
        tracker.Observe(B, 0, start + S(31));
        Assert.Equal(start - S(5), tracker.Watermark); // A may have records on their way: it holds B back

        Assert.True(tracker.ConfirmCaughtUp(A, 0, Now)); // nothing more to read on A: B alone sets the pace
        Assert.Equal(start + S(26), tracker.Watermark);

        tracker.NotCaughtUp(A, 0); // A's log moved past what was read: B is held where it is
        Pass(5);
        tracker.Observe(B, 0, start + S(36));
        Assert.Equal(start + S(26), tracker.Watermark);
        Assert.Equal(Lateness.OnTime, tracker.Observe(A, 0, start + S(27)));
    }

    [Fact]
    public void A_watermark_tracker_must_ignore_a_confirmation_asked_before_the_partitions_last_event()
    {
        var tracker = Tracker();
        var last = NowMs;
        tracker.Observe(A, 0, last);
        var asked = Now;
        Pass(1);
        tracker.Observe(A, 0, last + S(1));
        Assert.False(tracker.ConfirmCaughtUp(A, 0, asked));
        Assert.False(tracker.IsConfirmedCaughtUp(A, 0));
        Assert.False(tracker.ConfirmCaughtUp("unknown", 0, Now));
    }

    [Fact]
    public void A_watermark_tracker_must_let_a_confirmed_partition_without_any_event_stop_holding_the_others_back()
    {
        var tracker = Tracker();
        tracker.Register(A, 0);
        var start = NowMs;
        Pass(30);
        tracker.Refresh(); // A had nothing since it was assigned
        tracker.Observe(B, 0, start + S(30));
        Assert.Equal(WatermarkTracker.NoWatermark, tracker.Watermark); // unconfirmed: held
        tracker.ConfirmCaughtUp(A, 0, Now);
        Assert.Equal(start + S(25), tracker.Watermark);
        Assert.Equal([(A, 0)], tracker.IdlePartitionList);
    }
}
