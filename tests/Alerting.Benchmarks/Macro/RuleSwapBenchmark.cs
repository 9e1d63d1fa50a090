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
/// Options: <c>--swap-devices N</c> (default 100,000), <c>--swap-events N</c> (default 1,000,000).
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
        }).Take(count).Select(r => decoder.Decode(r.Value, new RecordOrigin("devices", 0, offset++)).Event).OfType<DeviceEvent>().ToArray();

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
        pauses.Sort();
        var median = pauses[pauses.Count / 2];
        context.Log.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"rule-swap: {activeDevices} active devices, {rules.Rules.Count} rules, swaps {string.Join(", ", pauses.Select(p => p.ToString("F2", CultureInfo.InvariantCulture)))} ms ({kept / Swaps} rules kept, {dropped / Swaps} dropped per swap); 1,000 events matched in {baselineMs:F2} ms before, {afterMs:F2} ms right after (their devices carried over)"));
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
        });
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
