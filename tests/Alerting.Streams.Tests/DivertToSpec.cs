using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class DivertToSpec : StreamSpec
{
    [Fact]
    public async Task A_DivertTo_must_send_matching_elements_to_the_side_output_and_the_rest_downstream()
    {
        var late = new SideOutput<int>(16);
        var (source, sink, handle) = Probe(Flow.Create<int>().DivertTo(late, x => x < 0));
        source.SendNext(1, -1, 2, -2, 3);
        source.SendComplete();
        Assert.Equal([1, 2, 3], await sink.ToListAsync());
        var side = new SinkProbe<int>();
        var sideHandle = Run(late.Source, side);
        Assert.Equal([-1, -2], await side.ToListAsync());
        await AllStagesStopped(handle);
        await AllStagesStopped(sideHandle);
    }

    [Fact]
    public async Task A_DivertTo_must_never_block_the_main_path_when_the_side_output_is_full()
    {
        var deadLetters = new SideOutput<int>(2, OverflowStrategy.DropNewest);
        var (source, sink, handle) = Probe(Flow.Create<int>().DivertTo(deadLetters, x => x % 2 == 0));
        source.SendNext(Enumerable.Range(1, 20));
        source.SendComplete();
        Assert.Equal(Enumerable.Range(1, 20).Where(x => x % 2 == 1), await sink.ToListAsync());
        Assert.Equal(10, deadLetters.Offered);
        Assert.Equal(8, deadLetters.Dropped);
        Assert.True(deadLetters.TryRead(out var first));
        Assert.Equal(2, first);
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_side_output_under_DropOldest_must_keep_the_newest_elements()
    {
        var side = new SideOutput<int>(3, OverflowStrategy.DropOldest);
        for (var i = 1; i <= 5; i++)
        {
            side.Offer(i);
        }
        side.Complete();
        Assert.Equal(2, side.Dropped);
        var sink = new SinkProbe<int>();
        var handle = Run(side.Source, sink);
        Assert.Equal([3, 4, 5], await sink.ToListAsync());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_DivertTo_must_fail_the_stream_when_a_Fail_side_output_overflows()
    {
        var side = new SideOutput<int>(1, OverflowStrategy.Fail);
        var (source, sink, handle) = Probe(Flow.Create<int>().DivertTo(side, _ => true));
        source.SendNext(1, 2);
        sink.Request(1);
        Assert.IsType<BufferOverflowException>(await sink.ExpectErrorAsync());
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_DivertTo_must_complete_its_side_output_when_the_main_path_is_cancelled()
    {
        var side = new SideOutput<int>(4);
        var (source, sink, handle) = Probe(Flow.Create<int>().DivertTo(side, x => x == 0));
        source.SendNext(0, 1);
        await sink.RequestNextAsync(1);
        sink.Cancel();
        await AllStagesStopped(handle);
        var sideSink = new SinkProbe<int>();
        Run(side.Source, sideSink);
        Assert.Equal([0], await sideSink.ToListAsync());
    }
}
