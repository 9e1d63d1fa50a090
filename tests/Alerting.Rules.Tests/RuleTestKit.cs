using System.Text;
using Alerting.Events;

namespace Alerting.Rules.Tests;

/// <summary>Events, rules and a bounded-disorder watermark for the matcher tests.</summary>
internal static class RuleTestKit
{
    public static readonly EventSchema Schema = new([
        new FieldDefinition("ErrCode", "Param.ErrCode", FieldType.Integer),
        new FieldDefinition("Level", "Param.Level", FieldType.Number),
        new FieldDefinition("Text", "Param.Text", FieldType.String),
    ]);

    public const long T0 = 1_700_000_000_000;

    private static int _seq;

    public static DeviceEvent Ev(string kind, long offsetMs, long? code = null, string device = "42", string? id = null, double? level = null, string? text = null, string? payload = null) => new()
    {
        DeviceId = device,
        Kind = string.Intern(kind),
        EventTime = T0 + offsetMs,
        EventId = id ?? $"e{Interlocked.Increment(ref _seq)}",
        Fields =
        [
            code is null ? FieldValue.Missing : FieldValue.FromInteger(code.Value),
            level is null ? FieldValue.Missing : FieldValue.FromNumber(level.Value),
            text is null ? FieldValue.Missing : FieldValue.FromString(text),
        ],
        Payload = payload is null ? default : Encoding.UTF8.GetBytes(payload),
    };

    /// <summary>The event as read from a source partition: the same fields, with its topic, partition and offset.</summary>
    public static DeviceEvent At(DeviceEvent e, int partition, long offset, string topic = "events") => e.At(topic, partition, offset);

    public static RuleSet Set(params string[] rules) =>
        RuleSet.Create(1, rules.Select((text, i) => Language.CompiledRule.Compile($"r{i}", 1, text, Schema)), Schema);

    /// <summary>Feeds events in the given arrival order with watermark = max seen − bound, then flushes.</summary>
    public static List<AlertEvent> Run(RuleEngine engine, IEnumerable<DeviceEvent> events, long outOfOrdernessMs = 0, bool flush = true)
    {
        var output = new List<AlertEvent>();
        var max = long.MinValue;
        foreach (var e in events)
        {
            engine.OnEvent(e, output);
            max = Math.Max(max, e.EventTime);
            engine.OnWatermark(max - outOfOrdernessMs, output);
        }

        if (flush)
        {
            engine.Flush(output);
        }

        return output;
    }

    public static List<AlertEvent> Run(string rule, params DeviceEvent[] events) => Run(new RuleEngine(Set(rule)), events);
}
