using Alerting.Kafka.Streaming;
using Confluent.Kafka;

namespace Alerting.Kafka.Tests.Streaming;

public sealed class OffsetTrackerSpec
{
    private static OffsetTracker Tracker() => new(new TopicPartition("t", 0));

    [Fact]
    public void An_OffsetTracker_must_have_nothing_to_commit_before_the_first_emission()
    {
        Assert.Equal(OffsetTracker.NothingToCommit, Tracker().Committable);
    }

    [Fact]
    public void An_OffsetTracker_must_commit_only_up_to_the_lowest_offset_still_needed()
    {
        var tracker = Tracker();
        for (var offset = 10; offset < 20; offset++)
        {
            Assert.True(tracker.TryRegister(offset));
        }

        Assert.Equal(10, tracker.Committable);
        Assert.True(tracker.MarkDone(15));
        Assert.True(tracker.MarkDone(11));
        Assert.Equal(10, tracker.Committable);
        Assert.True(tracker.MarkDone(10));
        Assert.Equal(12, tracker.Committable);
        foreach (var offset in new[] { 19, 12, 13, 14, 17, 16 })
        {
            tracker.MarkDone(offset);
        }

        Assert.Equal(18, tracker.Committable);
        Assert.Equal(1, tracker.InFlight);
        Assert.True(tracker.MarkDone(18));
        Assert.Equal(20, tracker.Committable);
        Assert.Equal(0, tracker.InFlight);
    }

    [Fact]
    public void An_OffsetTracker_must_refuse_unknown_repeated_and_doubly_marked_offsets()
    {
        var tracker = Tracker();
        tracker.TryRegister(3);
        tracker.TryRegister(7);
        Assert.False(tracker.TryRegister(7));
        Assert.False(tracker.TryRegister(5));
        Assert.False(tracker.MarkDone(5));
        Assert.True(tracker.MarkDone(7));
        Assert.False(tracker.MarkDone(7));
        Assert.Equal(3, tracker.Committable);
        Assert.Equal(1, tracker.MarkedDone);
    }

    [Fact]
    public void An_OffsetTracker_must_skip_gaps_in_the_offsets_it_registered()
    {
        var tracker = Tracker();
        tracker.TryRegister(0);
        tracker.TryRegister(5);
        tracker.TryRegister(9);
        tracker.MarkDone(0);
        Assert.Equal(5, tracker.Committable);
        tracker.MarkDone(9);
        tracker.MarkDone(5);
        Assert.Equal(10, tracker.Committable);
    }

    [Fact]
    public void An_OffsetTracker_must_grow_past_its_initial_capacity_while_keeping_order()
    {
        var tracker = Tracker();
        for (var offset = 0; offset < 1000; offset++)
        {
            tracker.TryRegister(offset);
            if (offset % 3 == 0 && offset > 0)
            {
                tracker.MarkDone(offset);
            }
        }

        Assert.Equal(0, tracker.Committable);
        tracker.MarkDone(0);
        Assert.Equal(1, tracker.Committable);
        for (var offset = 1; offset < 1000; offset++)
        {
            tracker.MarkDone(offset);
        }

        Assert.Equal(1000, tracker.Committable);
    }

    [Fact]
    public void A_revoked_OffsetTracker_must_accept_nothing_more_and_keep_its_committable_offset()
    {
        var tracker = Tracker();
        tracker.TryRegister(0);
        tracker.TryRegister(1);
        tracker.MarkDone(0);
        Assert.Equal(1, tracker.Revoke());
        Assert.False(tracker.MarkDone(1));
        Assert.False(tracker.TryRegister(2));
        Assert.True(tracker.IsRevoked);
        Assert.Equal(1, tracker.Committable);
    }
}
