using System.Runtime.CompilerServices;
using Alerting.Events;

namespace Alerting.Rules;

/// <summary>
/// The matching stage: turns an event-time stream (events and watermarks) into alerts with a
/// <see cref="RuleEngine"/>. It pulls the next element only when the alerts of the previous one have been
/// taken (demand flows upstream), emits each Generate/Revoke in the engine's order, and on completion of the
/// source flushes the watermark to the end of time, so pending absence timers fire. A failure of the source
/// or a cancellation ends the stage with that failure; the engine is not used after that.
/// </summary>
public static class MatchStage
{
    public static async IAsyncEnumerable<AlertEvent> RunAsync(
        IAsyncEnumerable<Timed> source,
        RuleEngine engine,
        bool flushAtEnd = true,
        [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(engine);
        var output = new List<AlertEvent>();
        await foreach (var element in source.WithCancellation(cancellationToken))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (element.IsWatermark)
            {
                engine.OnWatermark(element.Watermark, output);
            }
            else
            {
                engine.OnEvent(element.Event!, output);
            }

            foreach (var alert in output)
            {
                yield return alert;
            }

            output.Clear();
        }

        if (flushAtEnd)
        {
            engine.Flush(output);
            foreach (var alert in output)
            {
                yield return alert;
            }
        }
    }
}
