using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Alerting.Events.Tests;

public sealed class WatermarkStageSpec
{
    private const string T = "device-events";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);
    private readonly ManualTimeProvider _clock = new();
    private readonly List<(DeviceEvent Event, long Watermark)> _tooLate = [];

    private static long S(double seconds) => (long)(seconds * 1000);

    private static DeviceEvent Ev(int partition, double seconds, string id = "") => new()
    {
        DeviceId = "42",
        Kind = "Fault",
        EventTime = S(seconds),
        EventId = id.Length > 0 ? id : $"{partition}@{seconds}",
        Fields = [],
        Topic = T,
        Partition = partition,
    };

    private WatermarkStage Stage(double latenessS = 0, bool final = false) => new(
        new WatermarkTracker(TimeSpan.FromSeconds(5), TimeSpan.FromSeconds(latenessS), TimeSpan.FromSeconds(30), _clock),
        (ev, wm, _) =>
        {
            _tooLate.Add((ev, wm));
            return ValueTask.CompletedTask;
        },
        _clock,
        new WatermarkStageOptions { BufferSize = 4, EmitFinalWatermark = final });

    private static async IAsyncEnumerable<DeviceEvent> Of(IEnumerable<DeviceEvent> events, [EnumeratorCancellation] CancellationToken ct = default)
    {
        foreach (var ev in events)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return ev;
        }
    }

    private static async Task<Timed> Next(IAsyncEnumerator<Timed> e)
    {
        Assert.True(await e.MoveNextAsync().AsTask().WaitAsync(Patience), "the stream completed early");
        return e.Current;
    }

    [Fact]
    public async Task A_watermark_stage_must_interleave_events_with_advancing_watermarks_and_divert_too_late_events()
    {
        var input = new[] { Ev(0, 10), Ev(1, 12), Ev(0, 20), Ev(1, 8), Ev(1, 30), Ev(0, 14, "late"), Ev(0, 3, "too-late"), Ev(0, 40) };
        var output = new List<Timed>();
        await foreach (var t in Stage(latenessS: 2).Run(Of(input)))
        {
            output.Add(t);
        }

        var rendered = output.Select(t => t.IsWatermark ? $"wm {t.Watermark / 1000.0}" : $"{t.Event!.EventId}{(t.Event.IsLate ? " late" : "")}");
        Assert.Equal(
            ["0@10", "wm 5", "1@12", "0@20", "wm 7", "1@8", "1@30", "wm 15", "late late", "0@40", "wm 25"],
            rendered);
        var (ev, wm) = Assert.Single(_tooLate);
        Assert.Equal("too-late", ev.EventId);
        Assert.Equal(S(15), wm);
    }

    [Fact]
    public async Task A_watermark_stage_must_advance_the_watermark_on_idleness_without_new_events()
    {
        var source = Channel.CreateUnbounded<DeviceEvent>();
        var stage = Stage();
        var e = stage.Run(source.Reader.ReadAllAsync()).GetAsyncEnumerator();
        source.Writer.TryWrite(Ev(1, 20));
        Assert.Equal("1@20", (await Next(e)).Event!.EventId);
        Assert.Equal(S(15), (await Next(e)).Watermark);
        source.Writer.TryWrite(Ev(0, 100));
        Assert.Equal("0@100", (await Next(e)).Event!.EventId);

        var pending = e.MoveNextAsync();
        Assert.False(pending.IsCompleted);
        _clock.Advance(TimeSpan.FromSeconds(10));
        source.Writer.TryWrite(Ev(0, 110));
        Assert.True(await pending.AsTask().WaitAsync(Patience));
        Assert.Equal("0@110", e.Current.Event!.EventId);

        pending = e.MoveNextAsync();
        _clock.Advance(TimeSpan.FromSeconds(19));
        await Task.Delay(50);
        Assert.False(pending.IsCompleted, "no partition is idle yet");
        _clock.Advance(TimeSpan.FromSeconds(1)); // partition 1 has been silent for 30 s
        Assert.True(await pending.AsTask().WaitAsync(Patience));
        Assert.Equal(S(105), e.Current.Watermark);

        pending = e.MoveNextAsync();
        _clock.Advance(TimeSpan.FromSeconds(10)); // partition 0 is idle too: nothing more to release
        await Task.Delay(50);
        Assert.False(pending.IsCompleted);
        source.Writer.TryWrite(Ev(1, 200));
        Assert.True(await pending.AsTask().WaitAsync(Patience));
        Assert.Equal("1@200", e.Current.Event!.EventId);
        Assert.Equal(S(195), (await Next(e)).Watermark); // idle partition 0 does not hold it back
        source.Writer.TryComplete();
        Assert.False(await e.MoveNextAsync().AsTask().WaitAsync(Patience));
        Assert.Equal(0, _clock.LiveTimers);
    }

    [Fact]
    public async Task A_watermark_stage_must_dispose_its_timer_and_stop_its_source_when_cancelled()
    {
        var disposed = new TaskCompletionSource();
        var source = Channel.CreateUnbounded<DeviceEvent>();
        async IAsyncEnumerable<DeviceEvent> Tracked([EnumeratorCancellation] CancellationToken ct = default)
        {
            try
            {
                await foreach (var ev in source.Reader.ReadAllAsync(ct))
                {
                    yield return ev;
                }
            }
            finally
            {
                disposed.TrySetResult();
            }
        }

        using var cts = new CancellationTokenSource();
        var e = Stage().Run(Tracked(), cts.Token).GetAsyncEnumerator();
        source.Writer.TryWrite(Ev(0, 100));
        await Next(e);
        Assert.Equal(1, _clock.LiveTimers);
        Assert.Equal(S(95), (await Next(e)).Watermark);
        var pending = e.MoveNextAsync();
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending.AsTask().WaitAsync(Patience));
        await e.DisposeAsync();
        await disposed.Task.WaitAsync(Patience);
        Assert.Equal(0, _clock.LiveTimers);
    }

    [Fact]
    public async Task A_watermark_stage_must_release_everything_when_downstream_stops_early()
    {
        var disposed = false;
        async IAsyncEnumerable<DeviceEvent> Endless([EnumeratorCancellation] CancellationToken ct = default)
        {
            try
            {
                for (var i = 0; ; i++)
                {
                    await Task.Yield();
                    ct.ThrowIfCancellationRequested();
                    yield return Ev(i % 3, i);
                }
            }
            finally
            {
                disposed = true;
            }
        }

        var seen = 0;
        await foreach (var t in Stage().Run(Endless()))
        {
            if (++seen == 50)
            {
                break;
            }
        }

        Assert.True(disposed);
        Assert.Equal(0, _clock.LiveTimers);
    }

    [Fact]
    public async Task A_watermark_stage_must_fail_with_the_upstream_failure()
    {
        async IAsyncEnumerable<DeviceEvent> Failing()
        {
            yield return Ev(0, 1);
            await Task.Yield();
            throw new InvalidDataException("broken upstream");
        }

        var seen = new List<Timed>();
        var ex = await Assert.ThrowsAsync<InvalidDataException>(async () =>
        {
            await foreach (var t in Stage().Run(Failing()))
            {
                seen.Add(t);
            }
        });
        Assert.Equal("broken upstream", ex.Message);
        Assert.Equal("0@1", seen[0].Event!.EventId);
        Assert.Equal(0, _clock.LiveTimers);
    }

    [Fact]
    public async Task A_watermark_stage_must_emit_a_final_watermark_when_asked_for_bounded_replays()
    {
        var output = new List<Timed>();
        await foreach (var t in Stage(final: true).Run(Of([Ev(0, 10), Ev(0, 11)])))
        {
            output.Add(t);
        }

        Assert.Equal(long.MaxValue, output[^1].Watermark);
        Assert.True(output[^1].IsWatermark);
    }

    [Fact]
    public async Task A_watermark_stage_must_wait_for_a_slow_too_late_handler_instead_of_buffering()
    {
        var side = Channel.CreateBounded<DeviceEvent>(1);
        var stage = new WatermarkStage(
            new WatermarkTracker(TimeSpan.Zero, TimeSpan.Zero, TimeSpan.Zero, _clock),
            (ev, _, ct) => side.Writer.WriteAsync(ev, ct),
            _clock);
        var source = Channel.CreateUnbounded<DeviceEvent>();
        await using var e = stage.Run(source.Reader.ReadAllAsync()).GetAsyncEnumerator();
        source.Writer.TryWrite(Ev(0, 100));
        source.Writer.TryWrite(Ev(0, 1, "a"));
        source.Writer.TryWrite(Ev(0, 2, "b"));
        source.Writer.TryWrite(Ev(0, 101, "after"));
        Assert.Equal("0@100", (await Next(e)).Event!.EventId);
        Assert.Equal(S(100), (await Next(e)).Watermark);
        var pending = e.MoveNextAsync();
        await Task.Delay(100);
        Assert.False(pending.IsCompleted, "the stage must wait while the side channel is full");
        Assert.Equal("a", (await side.Reader.ReadAsync()).EventId);
        Assert.True(await pending.AsTask().WaitAsync(Patience));
        Assert.Equal("after", e.Current.Event!.EventId);
        Assert.Equal("b", (await side.Reader.ReadAsync()).EventId);
    }
}
