using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Events;
using Xunit.Abstractions;
using static Alerting.Rules.Tests.RuleTestKit;

namespace Alerting.Rules.Tests;

public sealed class PartitionMatchStageSpec(ITestOutputHelper output) : StageSpec(output)
{
    private const string Topic = "device-events";
    private const long Disorder = 2_000;
    private readonly EventTimeCounters _counters = new();

    private static readonly string[] CheckpointRules =
    [
        """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m
        unless Recover(ErrCode = 101)
        revoke when Run or Recover(ErrCode in [101, 102])
        alert "FAULT_PAIR" priority 2
        """,
        """
        match absent(Run, Heartbeat) within 30s
        alert "HEARTBEAT_MISSING" priority 5
        """,
    ];

    private static DeviceEvent At(DeviceEvent e, long offset) => RuleTestKit.At(e, 0, offset, Topic);

    private (TestPublisher.Probe<Timed> Up, IPartitionMatchControl Control, TestSubscriber.Probe<AlertEvent> Alerts, TestSubscriber.Probe<LateEvent> Late) Run(
        Func<RuleEngine> engine, bool flushOnComplete = false, Live.LiveRuleSets? live = null, Action<Live.LiveRuleSet, SwapResult>? onSwap = null, BootstrapSettings? bootstrap = null)
    {
        var stage = new PartitionMatchStage(engine, flushOnComplete, _counters, live, onSwap, bootstrap);
        var graph = GraphDsl.Create(this.SourceProbe<Timed>(), stage, this.SinkProbe<AlertEvent>(), this.SinkProbe<LateEvent>(), (u, c, a, l) => (u, c, a, l),
            (b, up, match, alerts, late) =>
            {
                b.From(up.Outlet).To(match.In);
                b.From(match.Out0).To(alerts.Inlet);
                b.From(match.Out1).To(late.Inlet);
                return ClosedShape.Instance;
            });
        return RunnableGraph.FromGraph(graph).Run(Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_emit_alerts_when_the_watermark_passes_and_flush_at_the_end_when_asked()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set(
                """match all(Fault(ErrCode = 1), Fault(ErrCode = 2)) within 1m alert "P" priority 1""",
                """match absent(Run, Heartbeat) within 1m alert "H" priority 1""")), flushOnComplete: true);
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(Ev("Fault", 0, 1)));
            await up.SendNextAsync(Timed.Of(Ev("Fault", 10, 2)));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 5));
            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // the second fault is not released yet
            await up.SendNextAsync(Timed.OfWatermark(T0 + 10));
            Assert.Equal("P", (await alerts.ExpectNextAsync()).AlertType);
            await up.SendNextAsync(Timed.Of(Ev("Run", 20)));
            await up.SendCompleteAsync();
            Assert.Equal("H", (await alerts.ExpectNextAsync()).AlertType); // the flush fires the absence timer
            await alerts.ExpectCompleteAsync();
            await late.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_swap_to_a_version_published_while_it_runs_once_the_watermark_reaches_its_time()
    {
        static RuleSet Versioned(long version, string type, int a, int b) => RuleSet.Create(version,
            [Language.CompiledRule.Compile(type, 1, $$"""match all(Fault(ErrCode = {{a}}), Fault(ErrCode = {{b}})) within 1m alert "{{type}}" priority 1""", Schema)], Schema);
        var live = new Live.LiveRuleSets(Versioned(0, "OLD", 1, 2));
        var swaps = new List<(long Version, SwapResult Swap)>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live, onSwap: (v, r) => swaps.Add((v.Version, r)));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 0, 1, id: "a"), 0)));
            await up.SendNextAsync(Timed.OfWatermark(T0));
            live.Add(new Live.LiveRuleSet(1, T0 + 1_000, Versioned(1, "NEW", 1, 3)));
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 500, 2, id: "b"), 1)));  // before the effective time: the old set
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 1_000, 1, id: "c"), 2)));
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 1_200, 3, id: "d"), 3)));  // from it: the new set
            await up.SendNextAsync(Timed.OfWatermark(T0 + 900));
            Assert.Equal(("OLD", "a,b"), Describe(await alerts.ExpectNextAsync()));
            Assert.Equal(0, (await control.SnapshotAsync()).Single().RulesVersion);
            await up.SendNextAsync(Timed.OfWatermark(T0 + 2_000));
            Assert.Equal(("NEW", "c,d"), Describe(await alerts.ExpectNextAsync()));
            Assert.Equal(1, (await control.SnapshotAsync()).Single().RulesVersion);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
            await late.ExpectCompleteAsync();
        }, Materializer);

        var (version, swap) = Assert.Single(swaps);
        Assert.Equal((1L, T0 + 1_000), (version, swap.SwappedAt));

        static (string, string) Describe(AlertEvent a) => (a.AlertType, string.Join(',', a.EventIds));
    }

    [Fact]
    public async Task A_partition_match_stage_must_not_flush_a_live_partition_that_completes()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set("""match absent(Run, Heartbeat) within 1m alert "H" priority 1""")));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(Ev("Run", 20)));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 20));
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync(); // the timer is the next owner's, restored from the checkpoint
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_fire_absence_timers_from_watermarks_alone()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set("""match absent(Run, Heartbeat) within 1m alert "H" priority 1""")));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(Ev("Run", 0)));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 59_000));
            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 61_000)); // e.g. an idle tick of the watermark stage
            Assert.Equal("H", (await alerts.ExpectNextAsync()).AlertType);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_send_every_event_the_matcher_refuses_to_the_late_outlet_and_count_it()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1"""),
                new RuleEngineOptions { AllowedLateness = TimeSpan.FromSeconds(1) }));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.OfWatermark(T0 + 100_000));
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 98_000, id: "refused"), 7)));
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 99_500, id: "within-lateness"), 8)));
            var refused = await late.ExpectNextAsync();
            Assert.Equal(("refused", T0 + 100_000, LateBy.Matcher), (refused.Event.EventId, refused.Watermark, refused.By));
            Assert.Equal(["within-lateness"], (await alerts.ExpectNextAsync()).EventIds);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
            await late.ExpectCompleteAsync();
            Assert.Equal(1, _counters.RefusedByMatcher);
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_count_the_partial_matches_the_cap_drops()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set("""match seq(a: Fault, b: Alarm) within 1m skip none alert "S" priority 1"""),
                new RuleEngineOptions { MaxPartialMatches = 1 }));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(Ev("Fault", 0, id: "f1")));
            await up.SendNextAsync(Timed.Of(Ev("Fault", 1, id: "f2")));
            await up.SendNextAsync(Timed.Of(Ev("Fault", 2, id: "f3")));
            await up.SendNextAsync(Timed.Of(Ev("Alarm", 3, id: "a")));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 10));
            Assert.Equal(["f1", "a"], (await alerts.ExpectNextAsync()).EventIds);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
            Assert.Equal(2, _counters.PartialMatchesDropped);
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_hand_out_many_alerts_of_one_watermark_only_as_fast_as_they_are_taken()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, _, alerts, late) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1""")));
            late.Request(10);
            for (var d = 0; d < 5; d++)
            {
                await up.SendNextAsync(Timed.Of(Ev("Fault", d, device: $"d{d}")));
            }

            await up.SendNextAsync(Timed.OfWatermark(T0 + 10));
            await up.SendNextAsync(Timed.Of(Ev("Fault", 20, device: "after")));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 20));
            alerts.Request(2);
            Assert.Equal(["d0", "d1"], [(await alerts.ExpectNextAsync()).DeviceId, (await alerts.ExpectNextAsync()).DeviceId]);
            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
            alerts.Request(10);
            var rest = new List<string>();
            for (var i = 0; i < 4; i++)
            {
                rest.Add((await alerts.ExpectNextAsync()).DeviceId);
            }

            Assert.Equal(["d2", "d3", "d4", "after"], rest);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_snapshot_between_elements_so_that_a_restored_stage_continues_exactly()
    {
        var events = Traffic(count: 600);
        var uninterrupted = await DriveAsync(() => new RuleEngine(Set(CheckpointRules)), events, flush: true, startMax: long.MinValue, snapshotAt: null);
        Assert.True(uninterrupted.Alerts.Count > 10, $"the traffic must raise alerts, got {uninterrupted.Alerts.Count}");
        Assert.Contains(uninterrupted.Alerts, a => a.Kind == AlertKind.Revoke);

        foreach (var cut in new[] { 1, 97, 301, 599 })
        {
            var first = await DriveAsync(() => new RuleEngine(Set(CheckpointRules)), events.Take(cut).ToList(), flush: false, startMax: long.MinValue, snapshotAt: cut);
            var snapshot = Assert.Single(first.Snapshot!);
            Assert.Equal(new SourcePartition(Topic, 0), snapshot.Partition);
            Assert.Equal(cut, snapshot.Position);
            Assert.InRange(snapshot.Resume, 0, snapshot.Position);
            var maxSeen = events.Take(cut).Max(e => e.EventTime);
            Assert.Equal(maxSeen - Disorder, snapshot.ReleasedUpTo);

            // the next owner: the snapshot restored, the partition read again from Resume, what the snapshot covers skipped
            RuleEngine Restored()
            {
                var engine = new RuleEngine(Set(CheckpointRules));
                engine.RestorePartition(snapshot.Partition, snapshot.EngineState);
                engine.OnWatermark(snapshot.ReleasedUpTo, new List<AlertEvent>());
                return engine;
            }

            var replay = events.Where(e => e.Offset >= snapshot.Resume)
                .Where(e => e.Offset >= snapshot.Position || e.EventTime > snapshot.ReleasedUpTo)
                .ToList();
            var second = await DriveAsync(Restored, replay, flush: true, startMax: maxSeen, snapshotAt: null);

            Assert.Equal(
                uninterrupted.Alerts.Select(a => (a.Kind, a.AlertId)).Order(),
                first.Alerts.Concat(second.Alerts).Select(a => (a.Kind, a.AlertId)).Order());
        }
    }

    [Fact]
    public async Task A_partition_match_stage_must_refuse_snapshots_once_stopped()
    {
        var (up, control, alerts, late) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1""")));
        alerts.Request(10);
        late.Request(10);
        await up.SendNextAsync(Timed.Of(At(Ev("Fault", 0), 0)));
        Assert.Single(await control.SnapshotAsync());
        await up.SendErrorAsync(new InvalidDataException("broken upstream"));
        Assert.Equal("broken upstream", (await alerts.ExpectErrorAsync()).Message);
        Assert.Equal("broken upstream", (await late.ExpectErrorAsync()).Message);
        await control.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<InvalidOperationException>(() => control.SnapshotAsync());
    }

    [Fact]
    public async Task A_partition_match_stage_must_say_what_its_matcher_holds_for_a_device_between_elements_and_refuse_once_stopped()
    {
        var (up, control, alerts, late) = Run(() => new RuleEngine(Set(CheckpointRules)));
        alerts.Request(10);
        late.Request(10);
        await up.SendNextAsync(Timed.Of(At(Ev("Fault", 0, 101, device: "d1", id: "a"), 0)));
        await up.SendNextAsync(Timed.Of(At(Ev("Run", 100, device: "d2", id: "run"), 1)));
        await up.SendNextAsync(Timed.OfWatermark(T0 + 1_000));

        var d1 = await control.InspectAsync("d1");
        Assert.Equal(T0 + 1_000, d1.Watermark);
        Assert.Equal("a", Assert.Single(Assert.Single(d1.PartialMatches).Events).EventId);
        var d2 = await control.InspectAsync("d2");
        Assert.Equal("run", Assert.Single(d2.AbsenceTimers).TriggerId);
        Assert.True((await control.InspectAsync("d3")).IsEmpty);

        await up.SendErrorAsync(new InvalidDataException("broken upstream"));
        await alerts.ExpectErrorAsync();
        await late.ExpectErrorAsync();
        await control.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        await Assert.ThrowsAsync<InvalidOperationException>(() => control.InspectAsync("d1"));
    }

    [Fact]
    public async Task A_partition_match_stage_must_take_a_final_snapshot_when_a_live_partition_completes_and_count_what_it_generated()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(Set(
                """match count(Fault) >= 1 within 1m alert "C" priority 1""",
                """match absent(Run, Heartbeat) within 30s alert "H" priority 1""")));
            late.Request(10); // demand on one outlet only: the stage pulls, and the alert waits for its own
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 0), 7)));
            await up.SendNextAsync(Timed.Of(At(Ev("Run", 1), 8)));
            await up.SendNextAsync(Timed.OfWatermark(T0 + 5));

            // the alert of the watermark is generated but not taken yet: the snapshot counts it all the same
            var periodic = Assert.Single(await control.SnapshotAsync());
            Assert.Equal(1, periodic.Generated);
            Assert.Equal(9, periodic.Position);
            alerts.Request(10);
            Assert.Equal("C", (await alerts.ExpectNextAsync()).AlertType);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
            var final = Assert.Single(await control.FinalSnapshot.WaitAsync(TimeSpan.FromSeconds(10)));
            Assert.Equal(1, final.Generated);
            Assert.Equal(9, final.Position);
            Assert.Equal(T0 + 5, final.ReleasedUpTo);
            Assert.NotEmpty(final.EngineState); // the absence timer waits in it for the next owner
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_fail_its_final_snapshot_when_it_fails_or_flushes()
    {
        var (up, control, alerts, late) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1""")));
        alerts.Request(10);
        late.Request(10);
        await up.SendErrorAsync(new InvalidDataException("broken upstream"));
        await alerts.ExpectErrorAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => control.FinalSnapshot.WaitAsync(TimeSpan.FromSeconds(10)));

        var (up2, control2, alerts2, late2) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1""")), flushOnComplete: true);
        alerts2.Request(10);
        late2.Request(10);
        await up2.SendCompleteAsync();
        await alerts2.ExpectCompleteAsync();
        await Assert.ThrowsAsync<InvalidOperationException>(() => control2.FinalSnapshot.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task A_partition_match_stage_must_cancel_upstream_when_downstream_cancels()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(Set("""match count(Fault) >= 1 within 1m alert "C" priority 1""")));
            alerts.Request(1);
            late.Request(1);
            await up.SendNextAsync(Timed.Of(Ev("Fault", 0)));
            await alerts.CancelAsync();
            await up.ExpectCancellationAsync();
            await late.ExpectCompleteAsync();
            await control.Stopped.WaitAsync(TimeSpan.FromSeconds(10));
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_match_stage_must_fail_when_its_engine_cannot_be_made()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (_, control, alerts, _) = Run(() => throw new InvalidDataException("snapshot cut short"));
            alerts.Request(1);
            Assert.Equal("snapshot cut short", (await alerts.ExpectErrorAsync()).Message);
            await Assert.ThrowsAsync<InvalidOperationException>(() => control.SnapshotAsync().WaitAsync(TimeSpan.FromSeconds(10)));
        }, Materializer);
    }

    private sealed record Driven(List<AlertEvent> Alerts, IReadOnlyList<PartitionMatchSnapshot>? Snapshot);

    // Each event, then the watermark max-seen - disorder; a snapshot after the events, if asked; then completion.
    private async Task<Driven> DriveAsync(Func<RuleEngine> engine, List<DeviceEvent> events, bool flush, long startMax, int? snapshotAt)
    {
        return await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(engine, flush);
            alerts.Request(long.MaxValue);
            late.Request(long.MaxValue);
            var max = startMax;
            foreach (var e in events)
            {
                await up.SendNextAsync(Timed.Of(e));
                max = Math.Max(max, e.EventTime);
                await up.SendNextAsync(Timed.OfWatermark(max - Disorder));
            }

            var snapshot = snapshotAt is null ? null : await control.SnapshotAsync();
            await up.SendCompleteAsync();
            var output = new List<AlertEvent>();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
            return new Driven(output, snapshot);
        }, Materializer);
    }

    // Disordered traffic of a few devices on one partition, within the disorder bound.
    private static List<DeviceEvent> Traffic(int count)
    {
        var random = new Random(11);
        var kinds = new (string Kind, long? Code)[] { ("Fault", 101), ("Fault", 102), ("Recover", 101), ("Run", null), ("Heartbeat", null) };
        var events = new List<DeviceEvent>(count);
        for (var i = 0; i < count; i++)
        {
#pragma warning disable CA5394 // test data
            var (kind, code) = kinds[random.Next(kinds.Length)];
            var time = (i * 700L) + random.Next(0, (int)Disorder);
            events.Add(At(Ev(kind, time, code, device: $"d{random.Next(6)}", id: $"e{i}"), i));
#pragma warning restore CA5394
        }

        return events;
    }

    /// <summary>A partition's history in memory: read from its records up to the end offsets asked, once the gate opens.</summary>
    private sealed class GatedHistory(IReadOnlyList<DeviceEvent> log, Task gate) : IRuleHistory
    {
        public List<(IReadOnlyDictionary<SourcePartition, long> Ends, long From)> Reads { get; } = [];

        public Akka.Streams.Dsl.Source<DeviceEvent, Akka.NotUsed> Read(IReadOnlyDictionary<SourcePartition, long> endOffsets, long fromTime)
        {
            Reads.Add((endOffsets, fromTime));
            var end = endOffsets[new SourcePartition(Topic, 0)];
            return Akka.Streams.Dsl.Source.FromTask(gate.ContinueWith(_ => 0, TaskScheduler.Default))
                .SelectMany(_ => log.Where(e => e.Offset < end));
        }
    }

    private static readonly Language.CompiledRule OtherRule = Language.CompiledRule.Compile("other", 1, """match all(Fault(ErrCode = 301), Fault(ErrCode = 302)) within 1m alert "OTHER" priority 3""", Schema);

    private static readonly Language.CompiledRule PairRule = Language.CompiledRule.Compile("pair", 1, """match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m revoke when Run alert "PAIR" priority 2""", Schema);

    // 'other' all along; version 1 brings 'pair' at T0 + 100 s, bootstrapped over 60 s
    private static Live.LiveRuleSets PairArrives(BootstrapAlerts alerts = BootstrapAlerts.Emit)
    {
        var live = new Live.LiveRuleSets(RuleSet.Create(0, [OtherRule], Schema));
        live.Add(new Live.LiveRuleSet(1, T0 + 100_000, RuleSet.Create(1, [OtherRule, PairRule], Schema))
        {
            Bootstraps = [new Live.RuleBootstrapDeclaration("pair", 1, TimeSpan.FromSeconds(60), alerts)],
        });
        return live;
    }

    // the partition's records: before the swap (offsets 0..5), then live
    private static readonly DeviceEvent[] PairLog =
    [
        At(Ev("Fault", 10_000, 101, device: "d0", id: "old1"), 0), At(Ev("Fault", 11_000, 102, device: "d0", id: "old2"), 1), // before the look-back
        At(Ev("Fault", 41_000, 101, device: "d1", id: "a1"), 2), At(Ev("Fault", 44_000, 102, device: "d1", id: "a2"), 3),
        At(Ev("Fault", 70_000, 101, device: "d3", id: "b1"), 4),
        At(Ev("Fault", 101_000, 102, device: "d9", id: "late1"), 5), // after the effective time: waiting in the live engine at the swap
        At(Ev("Fault", 102_000, 301, device: "d5", id: "o1"), 6), At(Ev("Fault", 102_500, 101, device: "d9", id: "p1"), 7),
        At(Ev("Fault", 103_000, 302, device: "d5", id: "o2"), 8),
        At(Ev("Fault", 130_000, 102, device: "d3", id: "b2"), 9), At(Ev("Run", 131_000, device: "d1", id: "r1"), 10),
    ];

    // the elements the stage is given: the first six records, the watermark that swaps, the rest with two watermarks
    private static readonly Timed[] PairInput =
    [
        .. PairLog[..6].Select(Timed.Of), Timed.OfWatermark(T0 + 100_500),
        .. PairLog[6..9].Select(Timed.Of), Timed.OfWatermark(T0 + 110_000),
        .. PairLog[9..].Select(Timed.Of), Timed.OfWatermark(T0 + 140_000),
    ];

    // what an engine that had both rules from the start of the look-back raises over the same elements
    private static List<AlertEvent> FromTheStart()
    {
        var engine = new RuleEngine(RuleSet.Create(1, [OtherRule, PairRule], Schema));
        var output = new List<AlertEvent>();
        foreach (var element in PairInput.Where(e => e.IsWatermark || e.Event!.EventTime >= T0 + 40_000))
        {
            if (element.IsWatermark)
            {
                engine.OnWatermark(element.Watermark, output);
            }
            else
            {
                engine.OnEvent(element.Event!, output);
            }
        }

        return output;
    }

    private static string Describe(AlertEvent a) => $"{a.Kind} {a.RuleId} {a.DeviceId} {string.Join(',', a.EventIds)} {a.AlertId}";

    [Fact]
    public async Task A_partition_match_stage_must_go_on_with_the_other_rules_while_a_new_rule_bootstraps_and_then_hand_its_state_over()
    {
        var live = PairArrives();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var history = new GatedHistory(PairLog, gate.Task);
        var reports = new List<RuleBootstrapReport>();
        var full = new List<BootstrapHoldFull>();
        var output = new List<AlertEvent>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live,
                bootstrap: new BootstrapSettings(history, Disorder, OnDone: reports.Add, OnHoldFull: full.Add));
            alerts.Request(20);
            late.Request(10);
            for (var i = 0; i <= 7; i++)
            {
                await up.SendNextAsync(PairInput[i]); // the sixth record, the watermark past the effective time (swap, bootstrap), one more
            }

            var held = control.SnapshotAsync();
            for (var i = 8; i <= 10; i++)
            {
                await up.SendNextAsync(PairInput[i]); // pulled while the history is still held back
            }

            var other = await alerts.ExpectNextAsync(); // the other rule's alert, during the bootstrap
            Assert.Equal(("other", "d5", "o1,o2", false), (other.RuleId, other.DeviceId, string.Join(',', other.EventIds), other.Bootstrap));
            output.Add(other);
            for (var i = 11; i < PairInput.Length; i++)
            {
                await up.SendNextAsync(PairInput[i]);
            }

            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // the held rule's alerts wait for the hand-over
            Assert.False(held.IsCompleted); // no checkpoint between the swap and the hand-over

            gate.SetResult();
            for (var i = 0; i < 4; i++)
            {
                output.Add(await alerts.ExpectNextAsync());
            }

            Assert.Equal(1, (await held).Single().RulesVersion);
            await up.SendCompleteAsync();
            await alerts.ExpectCompleteAsync();
            await late.ExpectCompleteAsync();
            Assert.Equal(1, Assert.Single(await control.FinalSnapshot).RulesVersion);
        }, Materializer);

        // history's alert (marked), then the live ones of the held rule in their order: d9's pair straddling the swap, d3's
        // partial match from history completed live, d1's alert from history revoked live
        Assert.Equal(
            ["Generate pair d1 a1,a2 True", "Generate pair d9 late1,p1 False", "Generate pair d3 b1,b2 False", "Revoke pair d1 r1 False"],
            output.Skip(1).Select(a => $"{a.Kind} {a.RuleId} {a.DeviceId} {string.Join(',', a.EventIds)} {a.Bootstrap}"));
        Assert.Equal(FromTheStart().Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));

        var read = Assert.Single(history.Reads);
        Assert.Equal((6L, T0 + 40_000 - Disorder), (read.Ends[new SourcePartition(Topic, 0)], read.From));
        var report = Assert.Single(reports);
        Assert.Equal(("pair", 6L, 3L, 1, 3, 8, TimeSpan.Zero), (report.RuleId, report.EventsRead, report.EventsInWindow, report.Alerts, report.LiveAlerts, report.HeldElements, report.Waited));
        Assert.True(report.Devices > 0);
        Assert.Empty(full);
    }

    [Fact]
    public async Task A_partition_match_stage_must_stop_pulling_once_a_bootstrap_holds_its_limit_and_lose_nothing()
    {
        var live = PairArrives(BootstrapAlerts.Suppress);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new List<RuleBootstrapReport>();
        var full = new List<BootstrapHoldFull>();
        var output = new List<AlertEvent>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live,
                bootstrap: new BootstrapSettings(new GatedHistory(PairLog, gate.Task), Disorder, OnDone: reports.Add, MaxHeldElements: 3, OnHoldFull: full.Add));
            alerts.Request(20);
            late.Request(10);
            for (var i = 0; i <= 10; i++)
            {
                await up.SendNextAsync(PairInput[i]); // the swap's watermark and two records held (the limit), then two more sent
            }

            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(300)); // not taken: the watermark that completes the other rule's pair waits
            Assert.Equal(3, Assert.Single(full).HeldElements);

            gate.SetResult();
            for (var i = 11; i < PairInput.Length; i++)
            {
                await up.SendNextAsync(PairInput[i]); // pulled again after the hand-over
            }

            await up.SendCompleteAsync();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
            Assert.Equal(1, Assert.Single(await control.FinalSnapshot).RulesVersion);
        }, Materializer);

        // history's alert suppressed; every live one there, with the ids of a run that had the rule from the start
        Assert.DoesNotContain(output, a => a.Bootstrap);
        var expected = FromTheStart().Where(a => !(a.RuleId == "pair" && a.DeviceId == "d1" && a.Kind == AlertKind.Generate));
        Assert.Equal(expected.Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
        var report = Assert.Single(reports);
        Assert.Equal((3, 0), (report.HeldElements, report.Alerts));
        Assert.True(report.Waited > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_partition_match_stage_that_completes_mid_bootstrap_must_hand_over_first_and_take_its_final_snapshot_after()
    {
        var live = PairArrives();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<AlertEvent>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live, bootstrap: new BootstrapSettings(new GatedHistory(PairLog, gate.Task), Disorder));
            alerts.Request(20);
            late.Request(10);
            foreach (var element in PairInput)
            {
                await up.SendNextAsync(element);
            }

            await up.SendCompleteAsync(); // a revocation: the partition's stream ends while the bootstrap runs
            output.Add(await alerts.ExpectNextAsync()); // the other rule's
            Assert.False(control.FinalSnapshot.IsCompleted);

            gate.SetResult();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
            var final = Assert.Single(await control.FinalSnapshot);
            Assert.Equal(1, final.RulesVersion);

            // the next owner, restored from the final snapshot, holds the rule's state: d3's alert, raised after the swap, is open there
            var restored = new RuleEngine(RuleSet.Create(1, [OtherRule, PairRule], Schema));
            restored.RestorePartition(final.Partition, final.EngineState);
            Assert.Contains(restored.Inspect("d3").OpenAlerts, o => o.RuleId == "pair");
        }, Materializer);

        Assert.Equal(FromTheStart().Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task A_partition_match_stage_must_hold_a_version_due_during_a_bootstrap_until_the_hand_over()
    {
        var third = Language.CompiledRule.Compile("third", 1, """match all(Fault(ErrCode = 401), Fault(ErrCode = 402)) within 1m alert "THIRD" priority 4""", Schema);
        var live = PairArrives();
        live.Add(new Live.LiveRuleSet(2, T0 + 120_000, RuleSet.Create(2, [OtherRule, PairRule, third], Schema)));
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new List<RuleBootstrapReport>();
        var swaps = new List<long>();
        var output = new List<AlertEvent>();
        Timed[] after =
        [
            Timed.Of(At(Ev("Fault", 141_000, 401, device: "d7", id: "t1"), 11)), Timed.Of(At(Ev("Fault", 142_000, 402, device: "d7", id: "t2"), 12)),
            Timed.OfWatermark(T0 + 150_000),
        ];
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live, onSwap: (v, _) => swaps.Add(v.Version),
                bootstrap: new BootstrapSettings(new GatedHistory(PairLog, gate.Task), Disorder, OnDone: reports.Add));
            alerts.Request(20);
            late.Request(10);
            foreach (var element in PairInput)
            {
                await up.SendNextAsync(element); // the last, a watermark past version 2's time, waits for the hand-over
            }

            await up.SendNextAsync(after[0]);
            output.Add(await alerts.ExpectNextAsync()); // the other rule's, during the bootstrap
            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));
            Assert.Equal([1L], swaps);

            gate.SetResult();
            await up.SendNextAsync(after[1]);
            await up.SendNextAsync(after[2]);
            await up.SendCompleteAsync();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
            Assert.Equal(2, Assert.Single(await control.FinalSnapshot).RulesVersion);
        }, Materializer);

        // as an engine that had version 1 from the start of the look-back and swapped to version 2 at its time
        var engine = new RuleEngine(RuleSet.Create(1, [OtherRule, PairRule], Schema));
        var expected = new List<AlertEvent>();
        foreach (var element in PairInput.Where(e => e.IsWatermark || e.Event!.EventTime >= T0 + 40_000).Concat(after))
        {
            if (!element.IsWatermark)
            {
                engine.OnEvent(element.Event!, expected);
                continue;
            }

            if (element.Watermark >= T0 + 120_000 && engine.Rules.Version == 1)
            {
                engine.SwapRules(live.Find(2)!.Rules, T0 + 120_000, expected);
            }

            engine.OnWatermark(element.Watermark, expected);
        }

        Assert.Equal(expected.Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
        Assert.Contains(output, a => a.RuleId == "third");
        Assert.Equal([1L, 2L], swaps);
        var report = Assert.Single(reports);
        Assert.Equal(7, report.HeldElements); // up to the watermark that brings version 2
        Assert.True(report.Waited > TimeSpan.Zero);
    }

    [Fact]
    public async Task A_partition_match_stage_must_catch_a_rule_up_over_a_long_hold_in_turns_while_live_elements_keep_coming()
    {
        // 8,000 events of 12 devices, 50 ms apart, out of order within the disorder bound; 'pair' comes in at 200 s
        var random = new Random(3);
        var kinds = new (string Kind, long? Code)[] { ("Fault", 101), ("Fault", 102), ("Fault", 301), ("Fault", 302), ("Run", null) };
        var log = new List<DeviceEvent>();
        for (var i = 0; i < 8_000; i++)
        {
#pragma warning disable CA5394 // test data
            var (kind, code) = kinds[random.Next(kinds.Length)];
            log.Add(At(Ev(kind, (i * 50L) + random.Next(0, (int)Disorder), code, device: $"d{random.Next(12)}", id: $"e{i}"), i));
#pragma warning restore CA5394
        }

        var input = new List<Timed>();
        var max = long.MinValue;
        foreach (var e in log)
        {
            input.Add(Timed.Of(e));
            if (e.EventTime - Disorder > max)
            {
                max = e.EventTime - Disorder;
                input.Add(Timed.OfWatermark(max));
            }
        }

        var live = new Live.LiveRuleSets(RuleSet.Create(0, [OtherRule], Schema));
        live.Add(new Live.LiveRuleSet(1, T0 + 200_000, RuleSet.Create(1, [OtherRule, PairRule], Schema))
        {
            Bootstraps = [new Live.RuleBootstrapDeclaration("pair", 1, TimeSpan.FromSeconds(60), BootstrapAlerts.Emit)],
        });
        var swapAt = input.FindIndex(t => t.IsWatermark && t.Watermark >= T0 + 200_000);
        Assert.InRange(swapAt, 1, input.Count - 4_000);
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var reports = new List<RuleBootstrapReport>();
        var output = new List<AlertEvent>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live, bootstrap: new BootstrapSettings(new GatedHistory(log, gate.Task), Disorder, OnDone: reports.Add));
            alerts.Request(long.MaxValue);
            late.Request(long.MaxValue);
            for (var i = 0; i < input.Count; i++)
            {
                if (i == swapAt + 3_000)
                {
                    gate.SetResult(); // the catch-up over 3,000 held elements runs in turns while the rest comes in
                }

                await up.SendNextAsync(input[i]);
            }

            await up.SendCompleteAsync();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
        }, Materializer);

        // the other rule as a run that had it all along; 'pair' as a run that had it from the start of the look-back
        var other = new RuleEngine(RuleSet.Create(1, [OtherRule], Schema));
        var pair = new RuleEngine(RuleSet.Create(1, [PairRule], Schema));
        var expected = new List<AlertEvent>();
        foreach (var element in input)
        {
            if (element.IsWatermark)
            {
                other.OnWatermark(element.Watermark, expected);
                pair.OnWatermark(element.Watermark, expected);
                continue;
            }

            other.OnEvent(element.Event!, expected);
            if (element.Event!.EventTime >= T0 + 140_000)
            {
                pair.OnEvent(element.Event, expected);
            }
        }

        Assert.Equal(expected.Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
        var report = Assert.Single(reports);
        Assert.True(report.HeldElements > 2_048, $"{report.HeldElements} held"); // more than one turn (less what the input buffer had taken)
        Assert.True(report.LiveAlerts > 0 && report.Alerts > 0, $"{report.Alerts} alerts from history, {report.LiveAlerts} live");
    }

    [Fact]
    public async Task A_partition_match_stage_flushed_on_completion_must_finish_a_bootstrap_its_flush_starts_before_it_completes()
    {
        var live = PairArrives();
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var output = new List<AlertEvent>();
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), flushOnComplete: true, live: live,
                bootstrap: new BootstrapSettings(new GatedHistory(PairLog, gate.Task), Disorder));
            alerts.Request(20);
            late.Request(10);
            foreach (var e in PairLog)
            {
                await up.SendNextAsync(Timed.Of(e)); // no watermark: the version is due only at the flush
            }

            await up.SendCompleteAsync();
            output.Add(await alerts.ExpectNextAsync()); // the other rule's, from the flush's swap
            await alerts.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // not complete: the bootstrap runs

            gate.SetResult();
            while (await alerts.ExpectNextOrCompleteAsync() is AlertEvent alert)
            {
                output.Add(alert);
            }

            await late.ExpectCompleteAsync();
        }, Materializer);

        Assert.Equal(FromTheStart().Select(Describe).Order(StringComparer.Ordinal), output.Select(Describe).Order(StringComparer.Ordinal));
    }

    private sealed class FailingHistory : IRuleHistory
    {
        public Akka.Streams.Dsl.Source<DeviceEvent, Akka.NotUsed> Read(IReadOnlyDictionary<SourcePartition, long> endOffsets, long fromTime) =>
            Akka.Streams.Dsl.Source.Failed<DeviceEvent>(new InvalidOperationException("broker gone"));
    }

    [Fact]
    public async Task A_partition_match_stage_must_fail_when_its_bootstrap_cannot_read_the_history()
    {
        var pair = Language.CompiledRule.Compile("pair", 1, """match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m alert "PAIR" priority 2""", Schema);
        var live = new Live.LiveRuleSets(RuleSet.Create(0, [], Schema));
        live.Add(new Live.LiveRuleSet(1, T0 + 10_000, RuleSet.Create(1, [pair], Schema))
        {
            Bootstraps = [new Live.RuleBootstrapDeclaration("pair", 1, TimeSpan.FromSeconds(60), BootstrapAlerts.Emit)],
        });
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, control, alerts, late) = Run(() => new RuleEngine(live.Base), live: live, bootstrap: new BootstrapSettings(new FailingHistory(), Disorder));
            alerts.Request(10);
            late.Request(10);
            await up.SendNextAsync(Timed.Of(At(Ev("Fault", 0, 101, id: "a"), 0)));
            Assert.Equal(0, Assert.Single(await control.SnapshotAsync()).RulesVersion); // before the swap
            await up.SendNextAsync(Timed.OfWatermark(T0 + 10_000));
            var error = await alerts.ExpectErrorAsync();
            Assert.Contains("broker gone", error.Message, StringComparison.Ordinal);
            await Assert.ThrowsAnyAsync<Exception>(() => control.SnapshotAsync()); // the stage is gone: the partition is replayed from its checkpoint
        }, Materializer);
    }
}
