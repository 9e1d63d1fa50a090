using Alerting.Events;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class MatchStageSpec
{
    private static async IAsyncEnumerable<Timed> Source(params Timed[] elements)
    {
        foreach (var e in elements)
        {
            await Task.Yield();
            yield return e;
        }
    }

    [Fact]
    public async Task MatchStage_must_emit_alerts_when_the_watermark_passes_and_flush_at_the_end()
    {
        var engine = new RuleEngine(Set(
            """match all(Fault(ErrCode = 1), Fault(ErrCode = 2)) within 1m alert "P" priority 1""",
            """match absent(Run, Heartbeat) within 1m alert "H" priority 1"""));
        var alerts = new List<(AlertEvent Alert, int Seen)>();
        var seen = 0;
        var source = Source(
            Timed.Of(Ev("Fault", 0, 1)), Timed.Of(Ev("Fault", 10, 2)), Timed.OfWatermark(T0 + 5),
            Timed.OfWatermark(T0 + 10), Timed.Of(Ev("Run", 20)));
        async IAsyncEnumerable<Timed> Counting()
        {
            await foreach (var t in source)
            {
                seen++;
                yield return t;
            }
        }

        await foreach (var a in MatchStage.RunAsync(Counting(), engine))
        {
            alerts.Add((a, seen));
        }

        Assert.Equal([("P", 4), ("H", 5)], alerts.Select(x => (x.Alert.AlertType, x.Seen)));
    }

    [Fact]
    public async Task MatchStage_must_stop_on_cancellation()
    {
        using var cts = new CancellationTokenSource();
        var engine = new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1"""));
        var source = Source(Timed.Of(Ev("Fault", 0)), Timed.OfWatermark(T0), Timed.Of(Ev("Fault", 1)), Timed.OfWatermark(T0 + 1));
        var count = 0;
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (var a in MatchStage.RunAsync(source, engine, cancellationToken: cts.Token))
            {
                count++;
                await cts.CancelAsync();
            }
        });
        Assert.Equal(1, count);
    }
}
