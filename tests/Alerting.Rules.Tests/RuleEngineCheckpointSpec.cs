using Alerting.Events;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class RuleEngineCheckpointSpec
{
    private static readonly string[] Rules =
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

    private const long Disorder = 2_000;

    // Late events (within the lateness) are matched on arrival, so a replay must not offer released events again.
    private static readonly RuleEngineOptions Options = new() { AllowedLateness = TimeSpan.FromSeconds(5) };

    [Fact]
    public void A_restored_engine_must_continue_exactly_where_the_snapshot_was_taken()
    {
        var events = Traffic(seed: 3, count: 4_000);
        var uninterrupted = Drive(new RuleEngine(Set(Rules), Options), events, 0, events.Count, flush: true);
        Assert.True(uninterrupted.Count > 50, $"the traffic must raise alerts, got {uninterrupted.Count}");
        Assert.Contains(uninterrupted, a => a.Kind == AlertKind.Revoke);

        foreach (var cut in Enumerable.Range(0, 40).Select(k => 1 + (k * 97)))
        {
            var first = new RuleEngine(Set(Rules), Options);
            var before = Drive(first, events, 0, cut, flush: false);
            var checkpoint = Checkpoint(first, events, cut);

            var second = new RuleEngine(Set(Rules), Options);
            foreach (var (partition, snapshot) in checkpoint.Snapshots)
            {
                second.RestorePartition(partition, snapshot);
            }

            var after = new List<AlertEvent>();
            second.OnWatermark(checkpoint.ReleasedUpTo, after);
            Assert.Empty(after);

            // replay each partition from its resume offset: records before the snapshot's position that were
            // already released are in the snapshot; the ones still waiting go back into the buffer
            var replay = events.Where(e => e.Offset >= checkpoint.Resume[e.Partition])
                .Where(e => e.Offset >= checkpoint.Position[e.Partition] || e.EventTime > checkpoint.ReleasedUpTo)
                .ToList();
            after.AddRange(Drive(second, replay, 0, replay.Count, flush: true, startMax: checkpoint.MaxSeen));

            var resumed = before.Concat(after).Select(a => (a.Kind, a.AlertId)).ToList();
            Assert.Equal(uninterrupted.Select(a => (a.Kind, a.AlertId)).Order(), resumed.Order());
        }
    }

    [Fact]
    public void Restore_must_drop_the_state_of_rules_that_are_no_longer_in_the_rule_set()
    {
        var engine = new RuleEngine(Set(Rules), Options);
        var output = new List<AlertEvent>();
        engine.OnEvent(At(Ev("Fault", 0, 101, device: "d1"), 0, 0), output);
        engine.OnEvent(At(Ev("Fault", 0, 5, device: "d1"), 0, 1), output);
        engine.OnWatermark(T0 + 1, output);
        var snapshot = engine.SnapshotPartitions([new SourcePartition("events", 0)])[new SourcePartition("events", 0)];

        // only the pair rule is kept, under its old id and version
        var narrowed = new RuleEngine(RuleSet.Create(2, [Language.CompiledRule.Compile("r0", 1, Rules[0], Schema)], Schema));
        var result = narrowed.RestorePartition(new SourcePartition("events", 0), snapshot);

        Assert.Equal(new RestoreResult(1, 1), result);
        Assert.Equal(1, narrowed.ActiveDevices);
        narrowed.OnEvent(At(Ev("Fault", 10, 102, device: "d1"), 0, 2), output);
        narrowed.Flush(output);
        Assert.Equal("FAULT_PAIR", Assert.Single(output).AlertType);
    }

    [Fact]
    public void RemovePartition_must_drop_only_that_partitions_devices_and_waiting_events()
    {
        var engine = new RuleEngine(Set(Rules), Options);
        var output = new List<AlertEvent>();
        engine.OnEvent(At(Ev("Fault", 0, 101, device: "a"), 0, 0), output);
        engine.OnEvent(At(Ev("Fault", 0, 101, device: "b"), 1, 0), output);
        engine.OnWatermark(T0, output);
        engine.OnEvent(At(Ev("Fault", 10, 102, device: "a"), 0, 1), output);
        engine.OnEvent(At(Ev("Fault", 10, 102, device: "b"), 1, 1), output);
        Assert.Equal(2, engine.BufferedEvents);
        Assert.Equal(new Dictionary<SourcePartition, long> { [new("events", 0)] = 1, [new("events", 1)] = 1 }, engine.OldestPendingOffsets());

        Assert.Equal(1, engine.RemovePartition(new SourcePartition("events", 0)));

        Assert.Equal(1, engine.ActiveDevices);
        Assert.Equal(1, engine.BufferedEvents);
        engine.Flush(output);
        Assert.Equal("b", Assert.Single(output).DeviceId);
    }

    [Fact]
    public void A_snapshot_in_an_unknown_format_or_cut_short_must_be_refused()
    {
        var engine = new RuleEngine(Set(Rules), Options);
        var output = new List<AlertEvent>();
        engine.OnEvent(At(Ev("Fault", 0, 101, device: "a"), 0, 0), output);
        engine.OnWatermark(T0, output);
        var partition = new SourcePartition("events", 0);
        var snapshot = engine.SnapshotPartitions([partition])[partition];

        var fresh = new RuleEngine(Set(Rules), Options);
        Assert.Throws<InvalidDataException>(() => fresh.RestorePartition(partition, snapshot[..^3]));
        var wrongFormat = (byte[])snapshot.Clone();
        wrongFormat[0] = 9;
        Assert.Throws<InvalidDataException>(() => fresh.RestorePartition(partition, wrongFormat));
        Assert.Equal(new RestoreResult(1, 0), fresh.RestorePartition(partition, snapshot));
    }

    private sealed record Snapshot(
        Dictionary<SourcePartition, byte[]> Snapshots, long ReleasedUpTo, long MaxSeen, long[] Position, long[] Resume);

    // What the alert pipeline stores at a checkpoint after `consumed` records: per partition the engine's
    // snapshot, the next offset to read, and the oldest offset of an event still waiting for the watermark.
    private static Snapshot Checkpoint(RuleEngine engine, List<DeviceEvent> events, int consumed)
    {
        var partitions = new[] { new SourcePartition("events", 0), new SourcePartition("events", 1) };
        var position = new long[2];
        foreach (var e in events.Take(consumed))
        {
            position[e.Partition] = e.Offset + 1;
        }

        var pending = engine.OldestPendingOffsets();
        var resume = position.Select((p, i) => pending.TryGetValue(partitions[i], out var o) ? o : p).ToArray();
        var max = events.Take(consumed).Max(e => e.EventTime);
        return new Snapshot(engine.SnapshotPartitions(partitions).ToDictionary(), engine.Watermark, max, position, resume);
    }

    private static List<AlertEvent> Drive(RuleEngine engine, List<DeviceEvent> events, int from, int to, bool flush, long startMax = long.MinValue)
    {
        var output = new List<AlertEvent>();
        var max = startMax;
        for (var i = from; i < to; i++)
        {
            engine.OnEvent(events[i], output);
            max = Math.Max(max, events[i].EventTime);
            engine.OnWatermark(max - Disorder, output);
        }

        if (flush)
        {
            engine.Flush(output);
        }

        return output;
    }

    // Devices on two partitions, kinds and codes that exercise every rule, event times within the disorder bound.
    private static List<DeviceEvent> Traffic(int seed, int count)
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
