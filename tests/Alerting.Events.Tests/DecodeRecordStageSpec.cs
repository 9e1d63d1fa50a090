using System.Globalization;
using System.Text;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Xunit.Abstractions;

namespace Alerting.Events.Tests;

public sealed class DecodeRecordStageSpec(ITestOutputHelper output) : StageSpec(output)
{
    private readonly ManualTimeProvider _clock = new();
    private readonly DecodeCounters _counters = new();

    private EventDecoder Decoder() => new(new SourceDefinition(), _clock);

    private static SourceRecord<long> Record(byte[] value, long offset, byte[]? key = null) =>
        new(key, value, "device-events", 1, offset, 0, [], offset);

    private static SourceRecord<long>[] Records(IEnumerable<SeedRecord> seed) =>
        seed.Select((r, i) => new SourceRecord<long>(r.Key, r.Value, "device-events", 1, i, 0, [], i)).ToArray();

    private (TestPublisher.Probe<SourceRecord<long>> Up, TestSubscriber.Probe<DeviceEvent> Events, TestSubscriber.Probe<DeadLetterEnvelope<long>> Dead) Run()
    {
        var stage = new DecodeRecordStage<long>(Decoder(), _counters);
        var graph = GraphDsl.Create(this.SourceProbe<SourceRecord<long>>(), this.SinkProbe<DeviceEvent>(), this.SinkProbe<DeadLetterEnvelope<long>>(), (u, e, d) => (u, e, d),
            (b, up, events, dead) =>
            {
                var decode = b.Add(stage);
                b.From(up.Outlet).To(decode.In);
                b.From(decode.Out0).To(events.Inlet);
                b.From(decode.Out1).To(dead.Inlet);
                return ClosedShape.Instance;
            });
        return RunnableGraph.FromGraph(graph).Run(Materializer);
    }

    private static byte[] Good(string id, int seconds) => Encoding.UTF8.GetBytes(
        $$"""{"Message":"Fault","Param":{"ErrCode":1,"Timestamp":"2025-12-31T23:00:{{seconds:00}}.000Z","ID":"{{id}}"},"DeviceNumber":42}""");

    [Fact]
    public async Task A_decode_stage_must_emit_good_events_in_order_and_dead_letter_the_rest_with_their_reasons()
    {
        var seed = new SeedEventGenerator(5, new SeedEventOptions { MalformedShare = 0.25, Start = _clock.GetUtcNow().AddHours(-1) }).Take(400).ToList();
        var deadLetters = new List<DeadLetterEnvelope<long>>();
        var events = await this.AssertAllStagesStoppedAsync(
            () => Source.From(Records(seed))
                .Via(DecodeRecordStage<long>.DivertingTo(Decoder(), Sink.ForEach<DeadLetterEnvelope<long>>(deadLetters.Add), _counters))
                .RunWith(Sink.Seq<DeviceEvent>(), Materializer),
            Materializer);

        var good = seed.Select((r, i) => (r, i)).Where(x => x.r.Malformation is null).ToList();
        var bad = seed.Select((r, i) => (r, i)).Where(x => x.r.Malformation is not null).ToList();
        Assert.NotEmpty(bad);
        Assert.Equal(good.Select(x => (long)x.i), events.Select(e => e.Offset));
        Assert.Equal(bad.Select(x => x.r.Malformation!.Value.Code()), deadLetters.Select(d => d.Record.Header(DeadLetterHeaders.Reason)));
        Assert.Equal(bad.Select(x => x.i.ToString(CultureInfo.InvariantCulture)), deadLetters.Select(d => d.Record.Header(DeadLetterHeaders.SourceOffset)));
        Assert.Equal(bad.Select(x => (long)x.i), deadLetters.Select(d => d.PassThrough));
        Assert.All(bad.Zip(deadLetters), p => Assert.Equal(p.First.r.Value, p.Second.Record.Value.ToArray()));
        Assert.All(bad.Zip(deadLetters), p => Assert.Equal(p.First.r.Key, p.Second.Record.Key));
        Assert.Equal(good.Count, _counters.Decoded);
        Assert.Equal(bad.Count, _counters.Failed);
        Assert.Equal(bad.Count(x => x.r.Malformation == DecodeError.Truncated), _counters[DecodeError.Truncated]);
    }

    [Fact]
    public async Task A_decode_stage_must_complete_normally_when_every_record_is_bad()
    {
        var records = new[] { Record([], 0), Record("{"u8.ToArray(), 1), Record([0xff, 0xfe], 2), Record("[1]"u8.ToArray(), 3) };
        var deadLetters = new List<DeadLetterEnvelope<long>>();
        var events = await this.AssertAllStagesStoppedAsync(
            () => Source.From(records)
                .Via(DecodeRecordStage<long>.DivertingTo(Decoder(), Sink.ForEach<DeadLetterEnvelope<long>>(deadLetters.Add)))
                .RunWith(Sink.Seq<DeviceEvent>(), Materializer),
            Materializer);

        Assert.Empty(events);
        Assert.Equal(["empty", "truncated", "invalid_utf8", "not_json"], deadLetters.Select(d => d.Record.Header(DeadLetterHeaders.Reason)));
    }

    [Fact]
    public async Task A_decode_stage_must_hold_a_record_until_its_own_outlet_has_demand()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, events, dead) = Run();
            events.Request(10);
            await up.SendNextAsync(Record(Good("e1", 1), 0));
            await up.SendNextAsync(Record("not json"u8.ToArray(), 1));
            await up.SendNextAsync(Record(Good("e2", 2), 2));
            Assert.Equal("e1", (await events.ExpectNextAsync()).EventId);
            await events.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200)); // e2 is behind the dead letter nobody asked for

            var deadLetter = await dead.RequestNextAsync();
            Assert.Equal((1L, "not_json"), (deadLetter.PassThrough, deadLetter.Record.Header(DeadLetterHeaders.Reason)));
            Assert.Equal("e2", (await events.ExpectNextAsync()).EventId);
            await up.SendCompleteAsync();
            await events.ExpectCompleteAsync();
            await dead.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_decode_stage_must_cancel_upstream_when_an_outlet_cancels()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, events, dead) = Run();
            events.Request(1);
            await up.SendNextAsync(Record(Good("e1", 1), 0));
            Assert.Equal("e1", (await events.ExpectNextAsync()).EventId);
            await dead.CancelAsync();
            await up.ExpectCancellationAsync();
            await events.ExpectCompleteAsync();
        }, Materializer);
    }

    [Fact]
    public async Task A_decode_stage_must_fail_both_outlets_with_the_upstream_failure()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, events, dead) = Run();
            events.Request(1);
            dead.Request(1);
            await up.SendErrorAsync(new InvalidDataException("broken upstream"));
            Assert.Equal("broken upstream", (await events.ExpectErrorAsync()).Message);
            Assert.Equal("broken upstream", (await dead.ExpectErrorAsync()).Message);
        }, Materializer);
    }

    [Fact]
    public async Task A_decode_stage_must_feed_the_watermark_stage()
    {
        var seed = new SeedEventGenerator(8, new SeedEventOptions { Start = _clock.GetUtcNow().AddHours(-1), MaxDisorder = TimeSpan.FromSeconds(8) }).Take(300).ToList();
        var tooLate = 0;
        var settings = PartitionWatermarkSettings.For(new SourceDefinition { AllowedLateness = TimeSpan.FromSeconds(1) });
        var timed = await this.AssertAllStagesStoppedAsync(
            () => Source.From(Records(seed))
                .Via(DecodeRecordStage<long>.DivertingTo(Decoder(), Sink.Ignore<DeadLetterEnvelope<long>>()))
                .Via(Flow.FromGraph(GraphDsl.Create(b =>
                {
                    var w = b.Add(new PartitionWatermarkStage(settings));
                    b.From(w.Out1).To(Sink.ForEach<LateEvent>(_ => tooLate++));
                    return new FlowShape<DeviceEvent, Timed>(w.In, w.Out0);
                })))
                .RunWith(Sink.Seq<Timed>(), Materializer),
            Materializer);

        var watermarks = timed.Where(t => t.IsWatermark).Select(t => t.Watermark).ToList();
        Assert.NotEmpty(watermarks);
        Assert.Equal(watermarks.Order(), watermarks);
        Assert.Equal(watermarks.Distinct(), watermarks);
        Assert.Equal(300, timed.Count(t => !t.IsWatermark) + tooLate);
        Assert.True(tooLate > 0);
        Assert.Contains(timed, t => t.Event?.IsLate == true);
        var current = WatermarkTracker.NoWatermark;
        foreach (var t in timed)
        {
            if (t.IsWatermark)
            {
                current = t.Watermark;
            }
            else
            {
                Assert.Equal(t.Event!.EventTime < current, t.Event.IsLate);
                Assert.True(current == WatermarkTracker.NoWatermark || t.Event.EventTime >= current - 1000);
            }
        }
    }
}
