using Alerting.Streams;
using Alerting.TestKit.Streams;

namespace Alerting.Streams.Tests;

public sealed class MergeSpec : StreamSpec
{
    [Fact]
    public async Task A_Merge_must_emit_all_elements_of_all_sources_and_complete_when_all_complete()
    {
        var a = new SourceProbe<int>();
        var b = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(Source.Merge(a.Source, b.Source, Source.From([100, 200])), sink);
        a.SendNext(1, 2, 3);
        b.SendNext(10, 20);
        a.SendComplete();
        sink.Request(100);
        for (var i = 0; i < 7; i++)
        {
            await sink.ExpectNextAsync();
        }
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        b.SendComplete();
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Merge_must_keep_each_sources_order()
    {
        var sink = new SinkProbe<int>();
        var handle = Run(Source.From(Enumerable.Range(0, 500)).Merge(Source.From(Enumerable.Range(1000, 500))), sink);
        var all = await sink.ToListAsync();
        Assert.Equal(Enumerable.Range(0, 500), all.Where(x => x < 1000));
        Assert.Equal(Enumerable.Range(1000, 500), all.Where(x => x >= 1000));
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Merge_must_serve_sources_in_turn_whenever_both_have_an_element_ready()
    {
        // Each source is refilled only after its element was taken, and the next element is requested only
        // once the refill sits in the source's slot: both sources are always ready, so the order is the
        // merge's choice alone and must alternate.
        var a = new SourceProbe<char>();
        var b = new SourceProbe<char>();
        var sink = new SinkProbe<char>();
        var handle = Run(Source.Merge(a.Source, b.Source), sink);
        a.SendNext('a');
        b.SendNext('b');
        long aPulls = 2, bPulls = 2;
        var got = new List<char>();
        for (var i = 0; i < 200; i++)
        {
            var c = await sink.RequestNextAsync();
            got.Add(c);
            if (c == 'a')
            {
                a.SendNext('a');
                aPulls++;
            }
            else
            {
                b.SendNext('b');
                bPulls++;
            }
            // a pull beyond the delivered count means the pump has put the refill into its slot
            await a.ExpectPullsAsync(aPulls);
            await b.ExpectPullsAsync(bPulls);
        }
        var order = new string([.. got]);
        for (var i = 2; i < got.Count; i++)
        {
            Assert.True(got[i] != got[i - 1], $"element {i} repeats its source although both were ready: {order}");
        }
        sink.Cancel();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Merge_must_pull_each_source_only_as_fast_as_downstream_drains()
    {
        var a = new SourceProbe<int>();
        var b = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(Source.Merge(a.Source, b.Source), sink);
        a.SendNext(Enumerable.Range(0, 100));
        b.SendNext(Enumerable.Range(0, 100));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Assert.Equal(0, a.Pulls + b.Pulls);
        await sink.RequestNextAsync();
        await a.ExpectPullsAsync(2);
        await b.ExpectPullsAsync(2);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(50));
        // one element delivered; per source: its slot, the element waiting to enter it, the pull in progress
        Assert.InRange(a.Pulls + b.Pulls, 4, 1 + (2 * 3));
        sink.Cancel();
        await a.ExpectCancellationAsync();
        await b.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_Merge_must_fail_when_one_source_fails_and_cancel_the_others()
    {
        var a = new SourceProbe<int>();
        var b = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(Source.Merge(a.Source, b.Source), sink);
        sink.Request(10);
        await b.ExpectRequestAsync();
        a.SendError(new TestException("a failed"));
        Assert.Equal("a failed", (await sink.ExpectErrorAsync()).Message);
        await b.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_drained_stream_must_stop_taking_input_from_every_merged_source()
    {
        var main = new SourceProbe<int>();
        var sink = new SinkProbe<int>();
        var handle = Run(main.Source.Via(Flow.Merge(Source.Tick(TimeSpan.Zero, TimeSpan.FromSeconds(1), -1))), sink);
        main.SendNext(1);
        sink.Request(2);
        var first = new[] { await sink.ExpectNextAsync(), await sink.ExpectNextAsync() };
        Assert.Equal([-1, 1], first.Order());
        sink.Request(10);
        await handle.DrainAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(3));
        await sink.ExpectCompleteAsync();
        await main.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }
}
