using System.Globalization;
using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Events;
using Alerting.Rules.Language;
using Xunit.Abstractions;

namespace Alerting.Rules.Tests;

/// <summary>One partition's path through the alert graph's stages: raw records → decode → watermark → match.</summary>
public sealed class AlertGraphCompositionSpec(ITestOutputHelper output) : StageSpec(output)
{
    private const string Topic = "device-events";

    private static readonly string[] Rules =
    [
        """
        match all(Fault(ErrCode = 101), Fault(ErrCode = 102)) within 1m
        unless Recover(ErrCode = 101)
        revoke when Run
        alert "FAULT_PAIR" priority 2
        """,
        """
        match seq(Fault(ErrCode = 103), Alarm) within 1m
        unless Run
        alert "FAULT_ALARM" priority 3
        """,
    ];

    private readonly SourceDefinition _source = new() { MaxOutOfOrderness = TimeSpan.FromSeconds(5) };
    private readonly EventTimeCounters _counters = new();

    private RuleSet RuleSet()
    {
        var schema = _source.Schema();
        return Alerting.Rules.RuleSet.Create(1, Rules.Select((text, i) => CompiledRule.Compile($"r{i}", 1, text, schema)), schema);
    }

    [Fact]
    public async Task One_partition_must_raise_the_same_alerts_for_two_arrival_orders_within_the_disorder_bound()
    {
        var timeline = Timeline(events: 240, start: DateTimeOffset.UtcNow.AddHours(-2));
        var inOrder = await RunAsync(timeline);

        // the same events, each moved up to 4 s (event time) away from its place: within the 5 s bound
        var shuffled = new List<(string Json, long Time)>();
#pragma warning disable CA5394 // test data
        var random = new Random(7);
        foreach (var block in timeline.Chunk(4))
        {
            shuffled.AddRange(block.OrderBy(_ => random.Next()));
        }
#pragma warning restore CA5394
        Assert.NotEqual(timeline, shuffled);
        var disordered = await RunAsync(shuffled);

        Assert.True(inOrder.Count(a => a.Kind == AlertKind.Generate) > 5, $"the traffic must raise alerts, got {inOrder.Count}");
        Assert.Contains(inOrder, a => a.Kind == AlertKind.Revoke);
        Assert.Equal(inOrder.Select(a => (a.Kind, a.AlertId)).Order(), disordered.Select(a => (a.Kind, a.AlertId)).Order());
        Assert.Equal(0, _counters.SentToLate);
    }

    private async Task<IReadOnlyList<AlertEvent>> RunAsync(IReadOnlyList<(string Json, long Time)> arrivals)
    {
        var records = arrivals.Select((a, offset) => new SourceRecord<long>(
            Encoding.UTF8.GetBytes("42"), Encoding.UTF8.GetBytes(a.Json), Topic, 3, offset, a.Time, [], offset)).ToList();
        var rules = RuleSet();
        var decoder = new EventDecoder(_source, TimeProvider.System, rules.Schema);
        var watermarks = PartitionWatermarkSettings.For(_source).WithPartitions((Topic, 3)).WithFinalWatermark(true);
        var deadLetters = 0;

        var graph = Flow.FromGraph(GraphDsl.Create(b =>
        {
            var watermark = b.Add(new PartitionWatermarkStage(watermarks, counters: _counters));
            var match = b.Add(new PartitionMatchStage(() => new RuleEngine(rules), flushOnComplete: true, counters: _counters));
            var late = b.Add(new Merge<LateEvent>(2));
            b.From(watermark.Out0).To(match.In);
            b.From(watermark.Out1).To(late.In(0));
            b.From(match.Out1).To(late.In(1));
            b.From(late.Out).To(Sink.Ignore<LateEvent>());
            return new FlowShape<DeviceEvent, AlertEvent>(watermark.In, match.Out0);
        }));

        return await this.AssertAllStagesStoppedAsync(
            () => Source.From(records)
                .Via(DecodeRecordStage<long>.DivertingTo(decoder, Sink.ForEach<DeadLetterEnvelope<long>>(_ => deadLetters++)))
                .Via(graph)
                .RunWith(Sink.Seq<AlertEvent>(), Materializer),
            Materializer);
    }

    // Four devices: fault pairs (some recovered in between, some revoked by a Run), fault-then-alarm sequences.
    private static List<(string Json, long Time)> Timeline(int events, DateTimeOffset start)
    {
        var script = new (string Kind, int? Code)[]
        {
            ("Fault", 101), ("Fault", 102), ("Run", null), ("Fault", 103), ("Alarm", null), ("Fault", 102),
            ("Recover", 101), ("Fault", 101), ("Fault", 103), ("Run", null), ("Alarm", null), ("Fault", 101),
        };
        var timeline = new List<(string, long)>(events);
        for (var i = 0; i < events; i++)
        {
            var (kind, code) = script[(i / 4) % script.Length];
            var device = 1 + (i % 4);
            var time = start.AddSeconds(i);
            var param = code is { } c ? $"\"ErrCode\":{c}," : "";
            var json = string.Create(CultureInfo.InvariantCulture,
                $$"""{"Message":"{{kind}}","Param":{{{param}}"Timestamp":"{{time:yyyy-MM-ddTHH:mm:ss.fffZ}}","ID":"e{{i}}"},"DeviceNumber":{{device}}}""");
            timeline.Add((json, time.ToUnixTimeMilliseconds()));
        }

        return timeline;
    }
}
