using System.Diagnostics;
using System.Globalization;
using Alerting.Benchmarks.Harness;
using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Language;

namespace Alerting.Benchmarks.Macro;

/// <summary>
/// How long a partition's live stream waits when a new rule-set version takes over (<see cref="RuleEngine.SwapRules"/>,
/// what the match stage runs between two elements): the engine is filled with seed-shaped events of 100k devices under
/// the engine benchmark's 50 rules, then swapped through five versions in a row, each changing the version of five
/// rules (their states are dropped), removing one and adding one (the others keep their states). The baseline is the
/// time the same engine takes to match 1,000 events; the same events are matched again right after the swaps, when
/// their devices' states are carried over (the part of a swap deferred to each device's next touch). Reports the
/// longest and the median swap (wall ms, one thread; compiling the set is done before, off the stream).
/// <para>
/// Then a rule bootstrapping while the others go on, as the match stage runs it: its history matcher is fed the last
/// 300k events, the engine swaps to the set without it (the set built at the swap, as the stage does), takes live
/// events until the hold has <c>--swap-held</c> elements (events and watermark steps; default the stage's
/// <see cref="BootstrapSettings.DefaultMaxHeldElements"/>), catches the rule up over the events buffered at the swap and
/// the hold in slices of 2,048 elements (the stage's turns, between live elements), and hands over: the full set, the
/// rule's state moved into the live engine. Reports the swap's pause, the longest turn, the whole catch-up and the
/// hand-over (wall ms), and beside them what exporting the same state as bytes takes.
/// </para>
/// Options: <c>--swap-devices N</c> (default 100,000), <c>--swap-events N</c> (default 1,000,000), <c>--swap-held N</c>.
/// </summary>
public sealed class RuleSwapBenchmark : IMacroBenchmark
{
    private const int Swaps = 5;

    /// <inheritdoc />
    public string Name => "rule-swap";

    /// <inheritdoc />
    public Task<IReadOnlyDictionary<string, double>> RunAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var devices = context.Option("--swap-devices", context.Size(100_000, 5_000));
        var count = context.Option("--swap-events", context.Size(1_000_000, 50_000));
        var heldElements = context.Option("--swap-held", context.Size(BootstrapSettings.DefaultMaxHeldElements, 5_000));
        var source = new SourceDefinition();
        var schema = source.Schema();
        var rules = EngineBenchmark.Rules(schema, 50);
        var decoder = new EventDecoder(source, new FixedClock());
        long offset = 0;
        var events = new SeedEventGenerator(11, new SeedEventOptions
        {
            Devices = devices,
            Step = TimeSpan.FromMilliseconds(1),
            MaxDisorder = TimeSpan.FromSeconds(2),
            Kinds = ["Heartbeat", "Heartbeat", "Heartbeat", "Fault", "Fault", "Fault", "Recover", "Alarm", "Run"],
        }).Take(count + heldElements).Select(r => decoder.Decode(r.Value, new RecordOrigin("devices", 0, offset++)).Event).OfType<DeviceEvent>().ToArray();
        var liveEvents = events[^heldElements..]; // after the swaps, for the bootstrap's hold
        events = events[..^heldElements];

        var engine = new RuleEngine(rules);
        var output = new List<AlertEvent>(1024);
        var max = long.MinValue;
        foreach (var e in events)
        {
            engine.OnEvent(e, output);
            max = Math.Max(max, e.EventTime);
            engine.OnWatermark(max - 5_000, output);
            output.Clear();
        }

        // the baseline: 1,000 events matched (the events again, for their own devices: the same work the stream does)
        var batch = events.AsSpan(events.Length - 1_000);
        var sw = Stopwatch.StartNew();
        foreach (var e in batch)
        {
            engine.OnEvent(e, output);
            engine.OnWatermark(max - 5_000, output);
        }

        var baselineMs = sw.Elapsed.TotalMilliseconds;
        output.Clear();
        cancellationToken.ThrowIfCancellationRequested();

        var activeDevices = engine.ActiveDevices;
        var pauses = new List<double>();
        var kept = 0L;
        var dropped = 0L;
        var current = rules;
        for (var s = 1; s <= Swaps; s++)
        {
            var next = NextVersion(current, schema, s);
            GC.Collect();
            sw.Restart();
            var result = engine.SwapRules(next, max - 5_000 + 1, output);
            pauses.Add(sw.Elapsed.TotalMilliseconds);
            kept += result.KeptRules;
            dropped += result.DroppedRules;
            output.Clear();
            current = next;
        }

        // the deferred part: devices carry their states over when next touched; the same 1,000 events again
        sw.Restart();
        foreach (var e in batch)
        {
            engine.OnEvent(e, output);
            engine.OnWatermark(max - 5_000, output);
        }

        var afterMs = sw.Elapsed.TotalMilliseconds;
        output.Clear();
        var handOver = HandOver(engine, current, schema, events, liveEvents, heldElements, max);
        pauses.Sort();
        var median = pauses[pauses.Count / 2];
        context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule-swap: {activeDevices} active devices, {rules.Rules.Count} rules, swaps {string.Join(", ", pauses.Select(p => p.ToString("F2", CultureInfo.InvariantCulture)))} ms ({kept / Swaps} rules kept, {dropped / Swaps} dropped per swap); 1,000 events matched in {baselineMs:F2} ms before, {afterMs:F2} ms right after (their devices carried over); a bootstrap: swap without the rule {handOver.SwapMs:F2} ms, catch-up over {handOver.Held} held elements {handOver.CatchUpMs:F2} ms (longest turn {handOver.TurnMs:F2} ms), hand-over {handOver.HandOverMs:F2} ms ({handOver.Devices} devices; exporting their state as bytes alone {handOver.ExportMs:F2} ms)"));
        return Task.FromResult<IReadOnlyDictionary<string, double>>(new Dictionary<string, double>
        {
            ["rule_swap_pause_ms"] = Math.Round(pauses[^1], 3),
            ["rule_swap_pause_ms_median"] = Math.Round(median, 3),
            ["rule_swap_rules"] = rules.Rules.Count,
            ["rule_swap_active_devices"] = activeDevices,
            ["rule_swap_rules_kept"] = kept / Swaps,
            ["rule_swap_rules_dropped"] = dropped / Swaps,
            ["rule_swap_baseline_1000_events_ms"] = Math.Round(baselineMs, 3),
            ["rule_swap_after_1000_events_ms"] = Math.Round(afterMs, 3),
            ["rule_swap_bootstrap_swap_ms"] = Math.Round(handOver.SwapMs, 3),
            ["rule_swap_handover_pause_ms"] = Math.Round(handOver.HandOverMs, 3),
            ["rule_swap_handover_export_ms"] = Math.Round(handOver.ExportMs, 3),
            ["rule_swap_catchup_turn_ms"] = Math.Round(handOver.TurnMs, 3),
            ["rule_swap_catchup_ms"] = Math.Round(handOver.CatchUpMs, 3),
            ["rule_swap_handover_held_elements"] = handOver.Held,
            ["rule_swap_handover_devices"] = handOver.Devices,
        });
    }

    // A rule bootstrapping while the other rules go on (what PartitionMatchStage does): the swap without it, the hold,
    // the catch-up in turns, the hand-over. Returns the pauses of the live stream, the elements held and the devices handed over.
    private static (double SwapMs, double TurnMs, double CatchUpMs, double ExportMs, double HandOverMs, int Held, int Devices) HandOver(RuleEngine engine, RuleSet current, EventSchema schema, DeviceEvent[] history, DeviceEvent[] live, int heldElements, long max)
    {
        var pair = current.Rules.First(r => r.Id.StartsWith("pair-", StringComparison.Ordinal));
        var rule = CompiledRule.Compile("bootstrapped", 1, pair.Text, schema, pair.Template);
        var until = engine.Watermark + 1;
        var historyStart = history[Math.Max(0, history.Length - 300_000)].EventTime;
        var bootstrap = new RuleBootstrap(rule, schema, historyStart, until, 5_000, keepAlerts: true);
        foreach (var e in history)
        {
            bootstrap.Offer(e);
        }

        var output = new List<AlertEvent>(1024);
        var full = RuleSet.Create(current.Version + 1, [.. current.Rules, rule], schema);
        GC.Collect();
        var sw = Stopwatch.StartNew();
        var reduced = RuleSet.Create(full.Version, full.Rules.Where(r => !ReferenceEquals(r, rule)), schema);
        engine.SwapRules(reduced, until, output);
        var buffered = engine.CopyBufferedEvents();
        var swapMs = sw.Elapsed.TotalMilliseconds;

        var held = new List<Timed>(heldElements);
        foreach (var e in live)
        {
            if (held.Count >= heldElements)
            {
                break;
            }

            engine.OnEvent(e, output);
            held.Add(Timed.Of(e));
            max = Math.Max(max, e.EventTime);
            if (max - 5_000 > engine.Watermark)
            {
                engine.OnWatermark(max - 5_000, output);
                held.Add(Timed.OfWatermark(max - 5_000));
            }

            output.Clear();
        }

        const int Slice = 2_048; // PartitionMatchStage's turn
        GC.Collect();
        var turnMs = 0.0;
        var total = Stopwatch.StartNew();
        sw.Restart();
        bootstrap.BeginCatchUp(buffered, output);
        for (var i = 0; i < held.Count; i++)
        {
            bootstrap.CatchUp(held[i], output);
            if ((i + 1) % Slice == 0 || i == held.Count - 1)
            {
                turnMs = Math.Max(turnMs, sw.Elapsed.TotalMilliseconds);
                output.Clear();
                sw.Restart();
            }
        }

        var catchUpMs = total.Elapsed.TotalMilliseconds;
        // the export of the same state, on its own: what the hand-over wrote and read before it moved the state directly
        sw.Restart();
        _ = bootstrap.HandOver();
        var exportMs = sw.Elapsed.TotalMilliseconds;

        // the hand-over as the match stage runs it: the live engine takes the full set and the rule's state
        GC.Collect();
        sw.Restart();
        engine.SwapRules(full, long.MinValue, output);
        var imported = bootstrap.HandOverTo(engine);
        var handOverMs = sw.Elapsed.TotalMilliseconds;
        output.Clear();
        return (swapMs, turnMs, catchUpMs, exportMs, handOverMs, held.Count, imported.Devices);
    }

    // the next version: five rules change version (same text), one is removed, one added (a copy of a pair under a new id)
    private static RuleSet NextVersion(RuleSet current, EventSchema schema, int step)
    {
        var list = current.Rules.ToList();
        var changed = new List<CompiledRule>();
        for (var k = 0; k < list.Count; k++)
        {
            var r = list[k];
            changed.Add(k % 10 == step % 10 ? CompiledRule.Compile(r.Id, r.Version + 1, r.Text, schema, r.Template) : r);
        }

        changed.RemoveAt(changed.Count - 1 - step);
        var pair = changed.First(r => r.Id.StartsWith("pair-", StringComparison.Ordinal));
        changed.Add(CompiledRule.Compile($"added-{step}", 1, pair.Text, schema, pair.Template));
        return RuleSet.Create(current.Version + 1, changed, schema);
    }

    private sealed class FixedClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(2030, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}
