using Alerting.Streams;
using Alerting.Streams.Stages;

namespace Alerting.Streams.Tests;

public sealed class GroupBySpec : StreamSpec
{
    /// <summary>A substream flow that emits "key:count" when its substream completes.</summary>
    private static Flow<string, string> CountOnCompletion(string key) =>
        new((up, _) => CountAsync(key, up));

    private static async IAsyncEnumerable<string> CountAsync(string key, IAsyncEnumerable<string> up)
    {
        var n = 0;
        await foreach (var _ in up)
        {
            n++;
        }
        yield return $"{key}:{n}";
    }

    private static string KeyOf(string s) => s[..1];

    [Fact]
    public async Task A_GroupBy_must_route_elements_to_their_key_and_keep_per_key_order()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 4, key => Flow.Create<string>().Select(s => $"{key}>{s}")));
        source.SendNext("a1", "b1", "a2", "c1", "b2", "a3");
        source.SendComplete();
        var all = await sink.ToListAsync();
        Assert.Equal(6, all.Count);
        Assert.Equal(["a>a1", "a>a2", "a>a3"], all.Where(s => s[0] == 'a'));
        Assert.Equal(["b>b1", "b>b2"], all.Where(s => s[0] == 'b'));
        Assert.Equal(["c>c1"], all.Where(s => s[0] == 'c'));
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_complete_substreams_when_upstream_completes()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 4, CountOnCompletion));
        source.SendNext("a1", "b1", "a2");
        source.SendComplete();
        Assert.Equal(["a:2", "b:1"], (await sink.ToListAsync()).Order());
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_fail_when_more_than_maxSubstreams_keys_are_open()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 2, CountOnCompletion));
        source.SendNext("a1", "b1", "c1");
        sink.Request(10);
        Assert.IsType<TooManySubstreamsException>(await sink.ExpectErrorAsync());
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_complete_an_idle_substream_and_reopen_it_for_a_later_element()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 1, CountOnCompletion, idleTimeout: TimeSpan.FromSeconds(10)));
        sink.Request(10);
        source.SendNext("a1", "a2");
        await source.ExpectPullsAsync(3);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(9));
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        Clock.Advance(TimeSpan.FromSeconds(1));
        await sink.ExpectNextAsync("a:2");
        // with maxSubstreams 1, b can only open because the idle a was closed, and a again once b was
        source.SendNext("b1");
        await source.ExpectPullsAsync(4);
        await Clock.WaitForArmedTimersAsync(1);
        Clock.Advance(TimeSpan.FromSeconds(10));
        await sink.ExpectNextAsync("b:1");
        source.SendNext("a3");
        source.SendComplete();
        await sink.ExpectNextAsync("a:1");
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_not_close_a_substream_that_keeps_receiving()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 2, CountOnCompletion, idleTimeout: TimeSpan.FromSeconds(10)));
        sink.Request(10);
        for (var i = 1; i <= 5; i++)
        {
            source.SendNext($"a{i}");
            await source.ExpectPullsAsync(i + 1);
            await Clock.WaitForArmedTimersAsync(1);
            Clock.Advance(TimeSpan.FromSeconds(6));
        }
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(30));
        source.SendComplete();
        await sink.ExpectNextAsync("a:5");
        await sink.ExpectCompleteAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_backpressure_upstream_when_a_substream_is_slow()
    {
        const int buffer = 4;
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var (source, sink, handle) = Probe(Flow.Create<int>().GroupBy(
            x => x % 2,
            2,
            _ => Flow.Create<int>().SelectAsync(1, async (x, ct) =>
            {
                await gate.Task.WaitAsync(ct);
                return x;
            }),
            substreamBuffer: buffer));
        source.SendNext(Enumerable.Range(0, 1000));
        sink.Request(1000);
        await source.ExpectPullsAsync(10);
        await sink.ExpectNoMessageAsync(TimeSpan.FromMilliseconds(100));
        // per substream: its buffer, one element in the blocked call, one being written by the router
        Assert.InRange(source.Pulls, 10, (2 * (buffer + 2)) + 1);
        gate.SetResult();
        source.SendComplete();
        var all = await sink.ToListAsync();
        Assert.Equal(Enumerable.Range(0, 1000).Where(x => x % 2 == 0), all.Where(x => x % 2 == 0));
        Assert.Equal(Enumerable.Range(0, 1000).Where(x => x % 2 == 1), all.Where(x => x % 2 == 1));
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_fail_the_stream_when_a_substream_fails_and_cancel_upstream()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 4, key => Flow.Create<string>().Select(s => s == "b2" ? throw new TestException("sub") : s)));
        source.SendNext("a1", "b1", "b2", "a2");
        sink.Request(10);
        var error = await sink.ExpectErrorIgnoringElementsAsync();
        Assert.Equal("sub", error.Message);
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
    }

    [Fact]
    public async Task A_GroupBy_must_stop_all_substreams_and_timers_when_downstream_cancels()
    {
        var (source, sink, handle) = Probe(Flow.Create<string>().GroupBy(KeyOf, 4, CountOnCompletion, idleTimeout: TimeSpan.FromSeconds(10)));
        sink.Request(1);
        source.SendNext("a1", "b1");
        await source.ExpectPullsAsync(3);
        sink.Cancel();
        await source.ExpectCancellationAsync();
        await AllStagesStopped(handle);
        Assert.Equal(0, Clock.LiveTimers);
        Assert.Equal(2, handle.Context.Stages.Count(s => s.Name.StartsWith("GroupBy.substream", StringComparison.Ordinal)));
    }
}
