namespace Alerting.Events.Tests;

public sealed class ReadProgressSpec
{
    [Fact]
    public void Read_progress_must_be_caught_up_only_when_every_record_before_the_log_end_was_taken_and_settled()
    {
        var progress = new ReadProgress();
        Assert.False(progress.CaughtUpTo(0)); // nothing known yet, not even where reading starts

        progress.Took(10);
        progress.Took(11);
        Assert.False(progress.CaughtUpTo(12)); // both on their way
        progress.Settled();
        Assert.False(progress.CaughtUpTo(12));
        progress.Settled();
        Assert.True(progress.CaughtUpTo(12));
        Assert.False(progress.CaughtUpTo(13)); // a record written after them is not read yet
    }

    [Fact]
    public void Read_progress_must_take_the_log_end_the_consumer_reached_for_a_partition_with_nothing_to_read_or_ending_in_a_gap()
    {
        var empty = new ReadProgress();
        empty.Reached(42); // assigned at offset 42 with nothing after it
        Assert.True(empty.CaughtUpTo(42));
        Assert.False(empty.CaughtUpTo(43));

        var gap = new ReadProgress();
        gap.Took(7);
        gap.Settled();
        Assert.False(gap.CaughtUpTo(9)); // offset 8 is a transaction marker: never a record
        gap.Reached(9);
        Assert.True(gap.CaughtUpTo(9));
        gap.Reached(5); // an older end never moves it back
        Assert.Equal(9, gap.Next);
    }
}
