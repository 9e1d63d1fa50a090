using Alerting.Kafka.Streaming;
using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Kafka.Tests.Streaming;

public sealed class MergeSubstreamsSpec
{
    [Fact]
    public async Task MergeSubstreams_must_emit_every_substream_in_its_own_order_and_complete_after_all_of_them()
    {
        var handle = Source.From(Enumerable.Range(0, 5))
            .MergeSubstreams(k => Source.From(Enumerable.Range(0, 100).Select(i => (Key: k, Index: i))), bufferSize: 4)
            .RunWith(Sink.Seq<(int Key, int Index)>());
        var all = await handle.Completion.WaitAsync(TestContext.Token);

        Assert.Equal(500, all.Count);
        foreach (var group in all.GroupBy(e => e.Key))
        {
            Assert.Equal(Enumerable.Range(0, 100), group.Select(e => e.Index));
        }

        await StreamAssert.AllStagesStoppedAsync(handle);
    }

    [Fact]
    public async Task MergeSubstreams_must_fail_with_the_first_substream_failure_and_stop_the_others()
    {
        var endless = Source.Tick(TimeSpan.Zero, TimeSpan.FromMilliseconds(5), 0);
        var handle = Source.From([1, 2, 3])
            .MergeSubstreams(k => k == 2 ? Source.Failed<int>(new InvalidOperationException("boom")) : endless)
            .RunWith(Sink.Ignore<int>());

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => handle.Completion.WaitAsync(TestContext.Token));
        Assert.Equal("boom", error.Message);
        await StreamAssert.AllStagesStoppedAsync(handle);
    }

    [Fact]
    public async Task MergeSubstreams_must_stop_the_outer_source_and_every_substream_when_cancelled()
    {
        var endless = Source.Tick(TimeSpan.Zero, TimeSpan.FromMilliseconds(5), 1);
        var seen = 0;
        var handle = Source.From([1, 2])
            .MergeSubstreams(_ => endless)
            .RunWith(Sink.ForEach<int>(_ => Interlocked.Increment(ref seen)));

        await Eventually.True(() => Volatile.Read(ref seen) > 10, TimeSpan.FromSeconds(10), "elements flow", TestContext.Token);
        await handle.DrainAsync(TestContext.Token);
        await StreamAssert.AllStagesStoppedAsync(handle);
    }
}
