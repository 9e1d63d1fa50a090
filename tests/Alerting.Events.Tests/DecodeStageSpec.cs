using System.Runtime.CompilerServices;

namespace Alerting.Events.Tests;

public sealed class DecodeStageSpec
{
    private readonly ManualTimeProvider _clock = new();

    private static async IAsyncEnumerable<RawRecord> Records(IEnumerable<SeedRecord> seed, [EnumeratorCancellation] CancellationToken ct = default)
    {
        var offset = 0L;
        foreach (var r in seed)
        {
            ct.ThrowIfCancellationRequested();
            await Task.Yield();
            yield return new RawRecord(r.Key, r.Value, new RecordOrigin("device-events", 1, offset++));
        }
    }

    [Fact]
    public async Task A_decode_stage_must_emit_good_events_in_order_and_dead_letter_the_rest_with_their_reasons()
    {
        var seed = new SeedEventGenerator(5, new SeedEventOptions { MalformedShare = 0.25, Start = _clock.GetUtcNow().AddHours(-1) }).Take(400).ToList();
        var deadLetters = new List<DeadLetterRecord>();
        var counters = new DecodeCounters();
        var events = new List<DeviceEvent>();
        await foreach (var ev in Records(seed).Decode(
            new EventDecoder(new SourceDefinition(), _clock),
            (record, _) =>
            {
                deadLetters.Add(record);
                return ValueTask.CompletedTask;
            },
            counters))
        {
            events.Add(ev);
        }

        var good = seed.Select((r, i) => (r, i)).Where(x => x.r.Malformation is null).ToList();
        var bad = seed.Select((r, i) => (r, i)).Where(x => x.r.Malformation is not null).ToList();
        Assert.NotEmpty(bad);
        Assert.Equal(good.Select(x => (long)x.i), events.Select(e => e.Offset));
        Assert.Equal(bad.Select(x => x.r.Malformation!.Value.Code()), deadLetters.Select(d => d.Header(DeadLetterHeaders.Reason)));
        Assert.Equal(bad.Select(x => x.i.ToString(System.Globalization.CultureInfo.InvariantCulture)), deadLetters.Select(d => d.Header(DeadLetterHeaders.SourceOffset)));
        Assert.All(bad.Zip(deadLetters), p => Assert.Equal(p.First.r.Value, p.Second.Value.ToArray()));
        Assert.Equal(good.Count, counters.Decoded);
        Assert.Equal(bad.Count, counters.Failed);
        Assert.Equal(bad.Count(x => x.r.Malformation == DecodeError.Truncated), counters[DecodeError.Truncated]);
    }

    [Fact]
    public async Task A_decode_stage_must_feed_the_watermark_stage()
    {
        var seed = new SeedEventGenerator(8, new SeedEventOptions { Start = _clock.GetUtcNow().AddHours(-1), MaxDisorder = TimeSpan.FromSeconds(8) }).Take(300).ToList();
        var tooLate = 0;
        var timed = new List<Timed>();
        await foreach (var t in Records(seed)
            .Decode(new EventDecoder(new SourceDefinition(), _clock), (_, _) => ValueTask.CompletedTask)
            .WithWatermarks(
                WatermarkTracker.For(new SourceDefinition { AllowedLateness = TimeSpan.FromSeconds(1) }, _clock),
                (_, _, _) =>
                {
                    tooLate++;
                    return ValueTask.CompletedTask;
                },
                _clock))
        {
            timed.Add(t);
        }

        var watermarks = timed.Where(t => t.IsWatermark).Select(t => t.Watermark).ToList();
        Assert.NotEmpty(watermarks);
        Assert.Equal(watermarks.Order(), watermarks);
        Assert.Equal(watermarks.Distinct(), watermarks);
        Assert.Equal(300, timed.Count(t => !t.IsWatermark) + tooLate);
        Assert.True(tooLate > 0);
        Assert.Contains(timed, t => t.Event?.IsLate == true);
        var current = WatermarkTracker.NoWatermark;
        foreach (var t in timed)
        {
            if (t.IsWatermark)
            {
                current = t.Watermark;
            }
            else
            {
                Assert.Equal(t.Event!.EventTime < current, t.Event.IsLate);
                Assert.True(current == WatermarkTracker.NoWatermark || t.Event.EventTime >= current - 1000, $"{t.Event.EventTime} vs {current} late={t.Event.IsLate} offset={t.Event.Offset}");
            }
        }
    }

    [Fact]
    public async Task A_decode_stage_must_stop_when_cancelled()
    {
        using var cts = new CancellationTokenSource();
        var seen = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var _ in Records(new SeedEventGenerator(1, new SeedEventOptions { Start = _clock.GetUtcNow() }).Take(1000))
                .Decode(new EventDecoder(new SourceDefinition(), _clock), (_, _) => ValueTask.CompletedTask, cancellationToken: cts.Token))
            {
                if (++seen == 10)
                {
                    await cts.CancelAsync();
                }
            }
        });
        Assert.Equal(10, seen);
    }
}
