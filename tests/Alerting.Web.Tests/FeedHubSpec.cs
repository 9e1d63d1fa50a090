using Alerting.Dispatch.Entity;
using Alerting.Service.Web;

namespace Alerting.Web.Tests;

/// <summary>The live feed's hub: bounded, sampled, per rule and per device, without a browser.</summary>
public sealed class FeedHubSpec
{
    private sealed class ManualClock(DateTimeOffset start) : TimeProvider
    {
        public DateTimeOffset Now { get; set; } = start;

        public override DateTimeOffset GetUtcNow() => Now;
    }

    private static readonly DateTimeOffset T0 = DateTimeOffset.Parse("2026-12-05T04:00:00Z", System.Globalization.CultureInfo.InvariantCulture);

    [Fact]
    public void A_reader_must_get_the_newest_matching_entries_at_most_the_sample_size_and_the_count_of_all_that_matched()
    {
        var hub = new FeedHub(new ManualClock(T0), capacity: 64);
        for (var i = 0; i < 30; i++)
        {
            hub.Publish(i % 2 == 0 ? FeedKind.Generate : FeedKind.Revoke, "d" + (i % 3), "r" + (i % 2), "a" + i, "T", i, null);
        }

        var batch = hub.Read(0, new FeedFilter(null, null, new HashSet<FeedKind> { FeedKind.Generate }), max: 5);

        Assert.Equal(15, batch.Matched);
        Assert.Equal(0, batch.Missed);
        Assert.Equal(30, batch.Next);
        Assert.Equal(["a20", "a22", "a24", "a26", "a28"], batch.Items.Select(i => i.AlertId));
        Assert.Empty(hub.Read(batch.Next, FeedFilter.All, 5).Items);
    }

    [Fact]
    public void A_reader_that_fell_behind_the_ring_must_be_told_how_many_it_missed()
    {
        var hub = new FeedHub(new ManualClock(T0), capacity: 16);
        for (var i = 0; i < 50; i++)
        {
            hub.Publish(FeedKind.Generate, "d", "r", "a" + i, "T", i, null);
        }

        var batch = hub.Read(0, FeedFilter.All, max: 100);

        Assert.Equal(34, batch.Missed);
        Assert.Equal(16, batch.Matched);
        Assert.Equal("a34", batch.Items[0].AlertId);
        Assert.Equal("a49", batch.Items[^1].AlertId);
    }

    [Fact]
    public void The_filter_must_select_by_rule_device_and_kind_and_let_dispatcher_entries_through_a_rule_filter()
    {
        var hub = new FeedHub(new ManualClock(T0));
        hub.Publish(FeedKind.Generate, "7", "ab", "x", "FAULT_PAIR", 1, null);
        hub.Publish(FeedKind.Generate, "8", "ca", "y", "FAULT_ALARM", 1, null);
        hub.Publish(FeedKind.Dispatch, "7", null, "x", "FAULT_PAIR", 1, "sent");

        Assert.Equal(["x", "x"], hub.Read(0, new FeedFilter("ab", null, new HashSet<FeedKind>()), 10).Items.Select(i => i.AlertId));
        Assert.Equal(["y"], hub.Read(0, new FeedFilter(null, "8", new HashSet<FeedKind>()), 10).Items.Select(i => i.AlertId));
        Assert.Equal([FeedKind.Dispatch], hub.Read(0, new FeedFilter(null, null, new HashSet<FeedKind> { FeedKind.Dispatch }), 10).Items.Select(i => i.Kind));
    }

    [Fact]
    public void Rates_must_count_alerts_per_rule_and_second_and_forget_what_is_older_than_15_minutes()
    {
        var clock = new ManualClock(T0);
        var hub = new FeedHub(clock);
        hub.Publish(FeedKind.Generate, "1", "ab", "a", "T", 0, null);
        hub.Publish(FeedKind.Revoke, "1", "ab", "a", "T", 0, null);
        hub.Publish(FeedKind.Dispatch, "1", null, "a", "T", 0, null);
        clock.Now = T0.AddSeconds(10);
        hub.Publish(FeedKind.Generate, "2", "ca", "b", "T", 0, null);

        var (end, perRule) = hub.Rates();
        Assert.Equal(T0.AddSeconds(10).ToUnixTimeSeconds(), end);
        Assert.Equal(2, perRule["ab"][^11]);
        Assert.Equal(1, perRule["ca"][^1]);
        Assert.Equal(2, hub.Totals()["ab"]);

        clock.Now = T0.AddMinutes(15).AddSeconds(5);
        Assert.Equal(0, hub.Totals()["ab"]);
        Assert.Equal(1, hub.Totals()["ca"]);
        clock.Now = T0.AddMinutes(40);
        Assert.Equal(0, hub.Totals()["ca"]);
    }

    [Fact]
    public void Per_rule_totals_must_be_worked_out_at_most_once_per_batch_interval()
    {
        var clock = new ManualClock(T0);
        var hub = new FeedHub(clock);
        hub.Publish(FeedKind.Generate, "1", "ab", "a", "T", 0, null);
        Assert.Equal(1, hub.Totals()["ab"]);

        hub.Publish(FeedKind.Generate, "1", "ab", "b", "T", 0, null);
        clock.Now = T0.AddMilliseconds(249);
        Assert.Equal(1, hub.Totals()["ab"]);
        clock.Now = T0.AddMilliseconds(250);
        Assert.Equal(2, hub.Totals()["ab"]);
    }

    [Fact]
    public void Device_history_must_stay_bounded_in_devices_and_entries_forgetting_the_least_recently_touched_device()
    {
        var hub = new FeedHub(new ManualClock(T0), devices: 100, perDevice: 4);
        for (var d = 0; d < 100_000; d++)
        {
            hub.Publish(FeedKind.Generate, d.ToString(System.Globalization.CultureInfo.InvariantCulture), "r", "a" + d, "T", d, null);
        }

        for (var i = 0; i < 10; i++)
        {
            hub.Publish(FeedKind.Dispatch, "99999", null, "b" + i, "T", i, null);
        }

        Assert.Equal(100, hub.DevicesHeld);
        Assert.Empty(hub.History("0"));
        Assert.Equal(["b6", "b7", "b8", "b9"], hub.History("99999").Select(i => i.AlertId));
        Assert.Single(hub.History("99950"));
    }

    [Fact]
    public void Source_events_must_be_kept_only_for_watched_devices_and_only_while_they_are_watched()
    {
        var clock = new ManualClock(T0);
        var hub = new FeedHub(clock, maxWatched: 2, watchFor: TimeSpan.FromMinutes(1));
        Assert.False(hub.Publish(FeedKind.Event, "7", null, null, "Fault", 1, "e1", 3));

        hub.Watch("7");
        Assert.True(hub.IsWatched("7"));
        Assert.True(hub.Publish(FeedKind.Event, "7", null, null, "Fault", 2, "e2", 3));
        Assert.False(hub.Publish(FeedKind.Event, "8", null, null, "Fault", 2, "e3", 3));
        Assert.Equal(0, hub.Published); // events are not feed entries

        hub.Watch("8");
        hub.Watch("9"); // the third lets the one asked for longest ago go
        Assert.False(hub.IsWatched("7"));
        Assert.True(hub.IsWatched("9"));

        clock.Now = T0.AddMinutes(2);
        Assert.False(hub.IsWatched("9"));
        Assert.Equal(["e2"], hub.History("7").Select(i => i.Detail));
        Assert.Equal(3, hub.History("7")[0].Partition);
    }

    [Fact]
    public void A_busy_watched_device_s_events_must_not_push_its_alerts_out_of_its_history()
    {
        var clock = new ManualClock(T0);
        var hub = new FeedHub(clock, perDevice: 8);
        hub.Watch("7");
        hub.Publish(FeedKind.Generate, "7", "ab", "a1", "FAULT_PAIR", 1, null);
        for (var i = 0; i < 100; i++)
        {
            clock.Now = T0.AddMilliseconds(i + 1);
            hub.Publish(FeedKind.Event, "7", null, null, "Fault", i, "e" + i, 0);
        }

        var history = hub.History("7");
        Assert.Equal(9, history.Count);
        Assert.Equal("a1", history[0].AlertId);
        Assert.Equal("e99", history[^1].Detail);
    }

    [Fact]
    public void The_partition_watermark_must_follow_the_largest_event_time_seen()
    {
        var hub = new FeedHub(new ManualClock(T0));
        Assert.Null(hub.MaxEventTime(2));
        hub.ObserveEventTime(2, 100);
        hub.ObserveEventTime(2, 50);
        hub.ObserveEventTime(2, 120);
        hub.ObserveEventTime(-1, 999);
        Assert.Equal(120, hub.MaxEventTime(2));
        Assert.Null(hub.MaxEventTime(3));
    }

    [Fact]
    public void Publishing_from_many_threads_must_never_wait_and_every_entry_must_be_either_taken_or_counted_as_dropped()
    {
        var hub = new FeedHub(new ManualClock(T0), capacity: 1024);
        var taken = 0L;
        Parallel.For(0, 8, t =>
        {
            for (var i = 0; i < 20_000; i++)
            {
                if (hub.Publish(FeedKind.Generate, "d" + (i % 500), "r" + t, "a", "T", i, null))
                {
                    Interlocked.Increment(ref taken);
                }
            }
        });

        Assert.Equal(160_000, taken + hub.Dropped);
        Assert.Equal(taken, hub.Published);
        Assert.True(hub.DevicesHeld <= 4096);
    }

    [Fact]
    public void The_dispatcher_observer_must_say_why_an_alert_was_or_was_not_dispatched()
    {
        var hub = new FeedHub(new ManualClock(T0));
        var observer = new FeedDispatchObserver(hub);
        var alert = new AlertRecord("a1", "FAULT_PAIR", 2, [], null, T0);
        observer.Persisted("7", new AlertHeld(alert, T0.AddSeconds(5)));
        observer.Persisted("7", new AlertCancelled("a1"));
        observer.Persisted("7", new AlertDropped("a2", DropReason.Covered));
        observer.Persisted("7", new AlertDispatched(alert with { AlertId = "a3" }, "d3", T0));
        observer.Persisted("7", new WorkOrderOpened("a3"));

        var items = hub.History("7");
        Assert.Equal([FeedKind.Held, FeedKind.Cancel, FeedKind.Drop, FeedKind.Dispatch], items.Select(i => i.Kind));
        Assert.Equal("held until 04:00:05.000", items[0].Detail);
        Assert.Contains("cancelled by its revoke", items[1].Detail, StringComparison.Ordinal);
        Assert.Contains("covered by an open alert of higher priority", items[2].Detail, StringComparison.Ordinal);
    }
}
