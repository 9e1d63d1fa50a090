using Alerting.Events;
using Alerting.Rules.Tests.Reference;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>
/// The optimised <see cref="RuleEngine"/> against the straightforward <see cref="ReferenceEngine"/> on random
/// event sequences: the same alerts, with the same ids, in the same order, whether the events arrive in order,
/// disordered within the watermark's bound, or late within the allowed lateness; and the same snapshots.
/// </summary>
public sealed class RuleEngineReferenceProperties
{
    private const long Bound = 3_000;

    // every operator, clauses on kinds the patterns do not test, a condition the index cannot key on, an
    // any-kind step, a rule without revoke
    private static readonly string[] RuleTexts =
    [
        """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 20s
        unless Recover(ErrCode = 101)
        revoke when Run or Recover(ErrCode in [101, 102])
        alert "PAIR" priority 2
        """,
        """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 101), Alarm) within 30s
        revoke when Run
        alert "TRIPLE" priority 2
        """,
        """
        match seq(Fault(ErrCode = 103), Alarm) within 15s
        unless Run
        revoke when Run or Recover(ErrCode = 103)
        alert "SEQ" priority 3
        """,
        """
        match seq(Fault, Recover, Fault(ErrCode = 5)) within 40s
        alert "SEQ3" priority 3
        """,
        """
        match count(Fault(ErrCode = 5)) >= 3 within 30s
        revoke when Recover(ErrCode = 5) or Run
        alert "COUNT" priority 4
        """,
        """
        match count(Alarm(Level > 0.5)) >= 2 within 10s
        alert "LEVEL" priority 4
        """,
        """
        match absent(Run, Heartbeat) within 8s
        revoke when Heartbeat
        alert "ABSENT" priority 5
        """,
        """
        match all(Fault(ErrCode in [101, 103]), Heartbeat) within 5s
        unless Other
        alert "ANY" priority 6
        """,
    ];

    private static readonly string[] Kinds = ["Fault", "Fault", "Fault", "Recover", "Alarm", "Run", "Heartbeat", "Other"];
    private static readonly long[] Codes = [101, 102, 103, 5];

    /// <summary>One generated event: device, kind, code, level, time step from the previous event, arrival delay.</summary>
    public sealed record Step(int Device, int Kind, int Code, int Level, int Gap, int Delay);

    private static Arbitrary<Step[]> Sequences(int maxDelay) => Arb.From(
        (from device in Gen.Choose(0, 4)
         from kind in Gen.Choose(0, Kinds.Length - 1)
         from code in Gen.Choose(0, Codes.Length - 1)
         from level in Gen.Choose(0, 9)
         from gap in Gen.Frequency((6, Gen.Choose(0, 1_500)), (1, Gen.Choose(1_500, 40_000)), (2, Gen.Constant(0)))
         from delay in Gen.Choose(0, maxDelay)
         select new Step(device, kind, code, level, gap, delay)).ArrayOf());

    [Property(MaxTest = 300)]
    public Property Both_matchers_must_raise_the_same_alerts_on_events_in_order() =>
        Prop.ForAll(Sequences(0), steps => Same(steps, lateness: 0));

    [Property(MaxTest = 300)]
    public Property Both_matchers_must_raise_the_same_alerts_on_events_disordered_within_the_bound() =>
        Prop.ForAll(Sequences((int)Bound - 1), steps => Same(steps, lateness: 0));

    [Property(MaxTest = 300)]
    public Property Both_matchers_must_raise_the_same_alerts_when_events_come_late_within_the_lateness() =>
        Prop.ForAll(Sequences((int)(3 * Bound)), steps => Same(steps, lateness: 2 * Bound));

    [Property(MaxTest = 200)]
    public Property Disorder_within_the_bound_must_not_change_which_alerts_are_raised() =>
        Prop.ForAll(Sequences((int)Bound - 1), steps =>
        {
            // a watermark 1 ms behind holds events of equal time back until all of them are in, so they are
            // released in (time, device, event id) order as in the disordered run
            var ordered = Run(new RuleEngine(Set(RuleTexts)), Events(steps).OrderBy(e => e.EventTime), 1);
            var disordered = Run(new RuleEngine(Set(RuleTexts)), Arrival(steps), Bound);
            Assert.Equal(
                ordered.Select(a => (a.Kind, a.AlertId)).Order(),
                disordered.Select(a => (a.Kind, a.AlertId)).Order());
        });

    [Fact]
    public void The_generated_sequences_must_raise_alerts_of_every_rule()
    {
        var seen = new HashSet<string>(StringComparer.Ordinal);
        // a fixed seed: the same sequences every run, so the check does not depend on a lucky draw
        foreach (var steps in Sequences((int)Bound).Generator.Sample(60, new Rnd(20261204UL), 120))
        {
            foreach (var a in Run(new RuleEngine(Set(RuleTexts)), Arrival(steps), Bound))
            {
                seen.Add($"{a.Kind}:{a.AlertType}");
            }
        }

        foreach (var type in new[] { "PAIR", "TRIPLE", "SEQ", "SEQ3", "COUNT", "LEVEL", "ABSENT", "ANY" })
        {
            Assert.Contains($"Generate:{type}", seen);
        }

        Assert.Contains("Revoke:PAIR", seen);
        Assert.Contains("Revoke:ABSENT", seen);
    }

    // The reference matcher writes format 1; the engine writes format 2, which for rules without sequence rules is
    // format 1 with its number changed and an empty sequence section (a zero count) after it.
    internal static byte[] AsFormat2(byte[] format1)
    {
        Assert.Equal(1, BitConverter.ToInt32(format1, 0));
        var bytes = new byte[format1.Length + 4];
        format1.CopyTo(bytes, 0);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), 2);
        return bytes;
    }

    // Feeds both matchers the same arrivals and compares every alert field, in output order, and the snapshots
    // they would write halfway and at the end.
    private static void Same(Step[] steps, long lateness)
    {
        var options = new RuleEngineOptions { AllowedLateness = TimeSpan.FromMilliseconds(lateness), OpenAlertTimeToLive = TimeSpan.FromMinutes(1) };
        var engine = new RuleEngine(Set(RuleTexts), options);
        var reference = new ReferenceEngine(Set(RuleTexts), options);
        var arrivals = Arrival(steps);
        var partitions = new[] { new SourcePartition("events", 0), new SourcePartition("events", 1) };
        var got = new List<AlertEvent>();
        var expected = new List<AlertEvent>();
        var max = long.MinValue;
        for (var i = 0; i < arrivals.Count; i++)
        {
            var e = arrivals[i];
            engine.OnEvent(e, got);
            reference.OnEvent(e, expected);
            max = Math.Max(max, e.EventTime);
            engine.OnWatermark(max - Bound, got);
            reference.OnWatermark(max - Bound, expected);
            if (i == arrivals.Count / 2)
            {
                var a = engine.SnapshotPartitions(partitions);
                var b = reference.SnapshotPartitions(partitions);
                Assert.All(partitions, p => Assert.Equal(AsFormat2(b[p]), a[p]));
                Assert.Equal(reference.OldestPendingOffsets(), engine.OldestPendingOffsets());
            }
        }

        Assert.Equal(reference.TooLateEvents, engine.TooLateEvents);
        Assert.Equal(reference.ActiveDevices, engine.ActiveDevices);
        engine.Flush(got);
        reference.Flush(expected);
        Assert.Equal(expected.Select(Describe), got.Select(Describe));
        Assert.Equal(reference.ActiveDevices, engine.ActiveDevices);
    }

    private static string Describe(AlertEvent a) =>
        $"{a.Kind} {a.AlertId} {a.RuleId} v{a.RuleVersion} {a.AlertType} {a.DeviceId} {a.FaultTime}..{a.AlertTime} [{string.Join(",", a.EventIds)}]";

    private static List<AlertEvent> Run(RuleEngine engine, IEnumerable<DeviceEvent> events, long bound)
    {
        var output = new List<AlertEvent>();
        var max = long.MinValue;
        foreach (var e in events)
        {
            engine.OnEvent(e, output);
            max = Math.Max(max, e.EventTime);
            engine.OnWatermark(max - bound, output);
        }

        engine.Flush(output);
        return output;
    }

    // arrival order: event time + the step's delay; a delay below the bound keeps every event ahead of the
    // watermark, a longer one makes it late (a stable sort, so equal arrivals keep generation order)
    private static List<DeviceEvent> Arrival(Step[] steps)
    {
        var events = Events(steps);
        return [.. events.Select((e, i) => (e, at: e.EventTime + steps[i].Delay)).OrderBy(x => x.at).Select(x => x.e)];
    }

    private static List<DeviceEvent> Events(Step[] steps)
    {
        var events = new List<DeviceEvent>(steps.Length);
        var offsets = new long[2];
        long time = 0;
        for (var i = 0; i < steps.Length; i++)
        {
            var s = steps[i];
            time += s.Gap;
            var partition = s.Device % 2;
            var e = Ev(Kinds[s.Kind], time, Codes[s.Code], device: $"d{s.Device}", id: $"e{i}", level: s.Level / 10.0);
            events.Add(At(e, partition, offsets[partition]++));
        }

        return events;
    }
}
