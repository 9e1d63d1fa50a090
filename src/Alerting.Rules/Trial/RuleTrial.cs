using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Events;

namespace Alerting.Rules.Trial;

/// <summary>
/// Tries a rule set on sample events, as <c>alertctl rules test</c> and the web view's rule form do: each line is one
/// event record of <c>source</c>'s format, decoded, put through a watermark of its own (no idle advance) and matched
/// in line order; at the end the matcher is flushed, so windows still open give what they would give once the
/// watermark passed them. A replay has no wall clock to be ahead of: the future-skew check is measured against the end
/// of time. A line that does not decode, or comes too late for the watermark, is reported and skipped.
/// </summary>
public static class RuleTrial
{
    /// <summary>Runs the trial.</summary>
    /// <param name="set">The compiled rule set.</param>
    /// <param name="source">The event source whose format, disorder and lateness apply.</param>
    /// <param name="lines">The event records, one per line (blank lines skipped).</param>
    /// <param name="origin">Names the lines in decode errors (a file name).</param>
    /// <param name="onAlert">Told each alert, in the order the matcher gives them.</param>
    /// <param name="onSkipped">Told each skipped line: its number (from 1) and why.</param>
    public static void Run(RuleSet set, SourceDefinition source, IEnumerable<string> lines, string origin, Action<AlertEvent> onAlert, Action<int, string> onSkipped)
    {
        ArgumentNullException.ThrowIfNull(set);
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(lines);
        ArgumentNullException.ThrowIfNull(onAlert);
        ArgumentNullException.ThrowIfNull(onSkipped);
        var decoder = new EventDecoder(source, new FarFuture(), set.Schema);
        var tracker = WatermarkTracker.For(source with { IdleTimeout = TimeSpan.Zero });
        var engine = new RuleEngine(set, new RuleEngineOptions { AllowedLateness = source.AllowedLateness });
        var output = new List<AlertEvent>();

        void Emit()
        {
            foreach (var alert in output)
            {
                onAlert(alert);
            }

            output.Clear();
        }

        var lineNo = 0;
        foreach (var line in lines)
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var result = decoder.Decode(Encoding.UTF8.GetBytes(line), new RecordOrigin(origin, 0, lineNo));
            if (!result.IsOk)
            {
                onSkipped(lineNo, result.ToString());
                continue;
            }

            var ev = result.Event!;
            switch (tracker.Observe(ev))
            {
                case Lateness.TooLate:
                    onSkipped(lineNo, string.Create(CultureInfo.InvariantCulture, $"too late (event time {Iso(ev.EventTime)} is behind the watermark {Iso(tracker.Watermark)} by more than the allowed lateness), skipped"));
                    continue;
                case Lateness.Late:
                    ev = ev.AsLate();
                    break;
            }

            engine.OnEvent(ev, output);
            if (tracker.Watermark != WatermarkTracker.NoWatermark)
            {
                engine.OnWatermark(tracker.Watermark, output);
            }

            Emit();
        }

        engine.Flush(output);
        Emit();
    }

    /// <summary>Unix ms as ISO-8601 UTC with milliseconds.</summary>
    public static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>An alert as one JSON object (the line <c>alertctl rules test</c> prints).</summary>
    public static string Format(AlertEvent a, MemoryStream buffer)
    {
        ArgumentNullException.ThrowIfNull(a);
        ArgumentNullException.ThrowIfNull(buffer);
        buffer.SetLength(0);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", a.Kind switch
            {
                AlertKind.Generate => "generate",
                AlertKind.Timeout => "timeout",
                _ => "revoke",
            });
            w.WriteString("alertId", a.AlertId);
            w.WriteString("ruleId", a.RuleId);
            w.WriteNumber("ruleVersion", a.RuleVersion);
            w.WriteString("alertType", a.AlertType);
            w.WriteNumber("priority", a.Priority);
            w.WriteString("deviceId", a.DeviceId);
            w.WriteString("alertTime", Iso(a.AlertTime));
            w.WriteString("faultTime", Iso(a.FaultTime));
            w.WriteNumber("delayMs", (long)a.Delay.TotalMilliseconds);
            w.WriteString("info", a.Info);
            w.WriteStartArray("eventIds");
            foreach (var id in a.EventIds)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }

    /// <summary>A clock at the end of time, so no replayed event is ever "in the future".</summary>
    private sealed class FarFuture : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}
