using Alerting.Events;
using Alerting.Rules.Tests.Reference;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

/// <summary>
/// Checkpoints outlive releases: a partition snapshot written by the matcher in format 1 (stored under
/// Resources/, written before the matcher's state layout was reworked) must restore, and matching must go on
/// from it exactly as an uninterrupted run.
/// </summary>
public sealed class SnapshotCompatibilitySpec
{
    internal static readonly string[] Rules =
    [
        """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m
        unless Recover(ErrCode = 101)
        revoke when Run or Recover(ErrCode in [101, 102])
        alert "FAULT_PAIR" priority 2
        """,
        """
        match seq(Fault(ErrCode = 103), Alarm) within 1m
        unless Run
        alert "FAULT_ALARM" priority 3
        """,
        """
        match count(Fault(ErrCode = 5)) >= 3 within 10m
        revoke when Recover(ErrCode = 5) or Run
        alert "THRESHOLD" priority 4
        """,
        """
        match absent(Run, Heartbeat) within 30s
        alert "HEARTBEAT_MISSING" priority 5
        """,
    ];

    internal const long Disorder = 2_000;
    internal const int Cut = 2_500;
    internal static readonly RuleEngineOptions Options = new() { AllowedLateness = TimeSpan.FromSeconds(5) };
    internal static readonly SourcePartition[] Partitions = [new("events", 0), new("events", 1)];

    [Fact]
    public void A_format1_checkpoint_must_restore_and_matching_must_continue_like_an_uninterrupted_run()
    {
        var events = Traffic(seed: 5, count: 4_000);
        var whole = new RuleEngine(Set(Rules), Options);
        var uninterrupted = Drive(whole.OnEvent, whole.OnWatermark, events);
        whole.Flush(uninterrupted);
        Assert.Contains(uninterrupted, a => a.Kind == AlertKind.Revoke);

        // the checkpoint's position, resume offsets and released watermark, from the reference matcher that
        // wrote the stored snapshots' format
        var first = new ReferenceEngine(Set(Rules), Options);
        var before = Drive(first.OnEvent, first.OnWatermark, events.Take(Cut));
        var written = first.SnapshotPartitions(Partitions);
        var stored = Partitions.ToDictionary(p => p, p => File.ReadAllBytes(ResourcePath(p.Partition)));
        foreach (var p in Partitions)
        {
            Assert.Equal(stored[p], written[p]);
        }

        var position = new long[2];
        foreach (var e in events.Take(Cut))
        {
            position[e.Partition] = e.Offset + 1;
        }

        var pending = first.OldestPendingOffsets();
        var resume = position.Select((p, i) => pending.TryGetValue(Partitions[i], out var o) ? o : p).ToArray();
        var releasedUpTo = first.Watermark;

        var second = new RuleEngine(Set(Rules), Options);
        var restoredDevices = Partitions.Sum(p => second.RestorePartition(p, stored[p]).Devices);
        Assert.True(restoredDevices > 10, $"the stored checkpoint holds device state, restored {restoredDevices}");
        var after = new List<AlertEvent>();
        second.OnWatermark(releasedUpTo, after);
        Assert.Empty(after);
        var replay = events.Where(e => e.Offset >= resume[e.Partition])
            .Where(e => e.Offset >= position[e.Partition] || e.EventTime > releasedUpTo);
        after.AddRange(Drive(second.OnEvent, second.OnWatermark, replay, events.Take(Cut).Max(e => e.EventTime)));
        second.Flush(after);

        Assert.Equal(
            uninterrupted.Select(a => (a.Kind, a.AlertId)).Order(),
            before.Concat(after).Select(a => (a.Kind, a.AlertId)).Order());
    }

    [Fact]
    public void The_engine_must_write_snapshots_the_reference_matcher_restores_identically()
    {
        var events = Traffic(seed: 5, count: 4_000);
        var engine = new RuleEngine(Set(Rules), Options);
        _ = Drive(engine.OnEvent, engine.OnWatermark, events.Take(Cut));
        var written = engine.SnapshotPartitions(Partitions);

        var reference = new ReferenceEngine(Set(Rules), Options);
        foreach (var p in Partitions)
        {
            reference.RestorePartition(p, written[p]);
        }

        // a snapshot holds the same state whichever matcher wrote it: written again, it is the stored one
        var rewritten = reference.SnapshotPartitions(Partitions);
        foreach (var p in Partitions)
        {
            Assert.Equal(File.ReadAllBytes(ResourcePath(p.Partition)).Length, rewritten[p].Length);
            Assert.Equal(Devices(File.ReadAllBytes(ResourcePath(p.Partition))), Devices(rewritten[p]));
        }
    }

    // device id → its serialised rule states, so snapshots compare whatever order their devices were written in
    private static Dictionary<string, string> Devices(byte[] snapshot)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        var engine = new ReferenceEngine(Set(Rules), Options);
        var partition = new SourcePartition("events", 0);
        engine.RestorePartition(partition, snapshot);
        foreach (var id in engine.DeviceIds())
        {
            result[id] = Convert.ToHexString(engine.SnapshotDevice(id));
        }

        return result;
    }

    internal static string ResourcePath(int partition) =>
        Path.Combine(AppContext.BaseDirectory, "Resources", $"engine-snapshot-format1-p{partition}.bin");

    internal static List<AlertEvent> Drive(Action<DeviceEvent, List<AlertEvent>> onEvent, Action<long, List<AlertEvent>> onWatermark, IEnumerable<DeviceEvent> events, long startMax = long.MinValue)
    {
        var output = new List<AlertEvent>();
        var max = startMax;
        foreach (var e in events)
        {
            onEvent(e, output);
            max = Math.Max(max, e.EventTime);
            onWatermark(max - Disorder, output);
        }

        return output;
    }

    internal static List<DeviceEvent> Traffic(int seed, int count)
    {
        var random = new Random(seed);
        var kinds = new[] { "Fault", "Fault", "Fault", "Recover", "Alarm", "Run", "Heartbeat" };
        var codes = new long[] { 101, 102, 103, 5 };
        var offsets = new long[2];
        var events = new List<DeviceEvent>(count);
        for (var i = 0; i < count; i++)
        {
            var device = random.Next(40);
            var partition = device % 2;
            var time = (i * 100L) - random.Next((int)Disorder);
            var e = Ev(kinds[random.Next(kinds.Length)], time, codes[random.Next(codes.Length)], device: $"d{device}", id: $"e{i}");
            events.Add(At(e, partition, offsets[partition]++));
        }

        return events;
    }
}
