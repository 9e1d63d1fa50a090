using System.Threading.Channels;
using Akka.Streams;
using Akka.Streams.Dsl;
using Akka.Streams.TestKit;
using Alerting.Kafka.Dsl;
using Confluent.Kafka;
using Xunit.Abstractions;

namespace Alerting.Events.Tests;

/// <summary>The watermark stage asking the broker before an idle partition's watermark moves on.</summary>
public sealed class PartitionWatermarkStageConfirmationSpec(ITestOutputHelper output) : StageSpec(output)
{
    private const string Topic = "device-events";
    private readonly ReadProgress _progress = new();
    private readonly QuestionedLogEnds _logEnds = new();
    private long _nextOffset;

    private static long S(double seconds) => (long)(seconds * 1000);

    private DeviceEvent Ev(long time, string id)
    {
        var offset = _nextOffset++;
        _progress.Took(offset); // as the source does before it emits the record
        return new DeviceEvent
        {
            DeviceId = "42",
            Kind = "Fault",
            EventTime = time,
            EventId = id,
            Fields = [],
            Topic = Topic,
            Partition = 0,
            Offset = offset,
        };
    }

    private (TestPublisher.Probe<DeviceEvent> Up, TestSubscriber.Probe<Timed> Out, TestSubscriber.Probe<LateEvent> Late) Run()
    {
        var settings = new PartitionWatermarkSettings
        {
            MaxOutOfOrderness = TimeSpan.FromSeconds(5),
            IdleTimeout = TimeSpan.FromSeconds(30),
        }.WithPartitions((Topic, 0));
        var confirmation = new IdleConfirmation(_logEnds, (t, p) => t == Topic && p == 0 ? _progress : null);
        var stage = new PartitionWatermarkStage(settings, confirmation: confirmation);
        var graph = GraphDsl.Create(this.SourceProbe<DeviceEvent>(), this.SinkProbe<Timed>(), this.SinkProbe<LateEvent>(), (up, @out, late) => (up, @out, late),
            (b, up, @out, late) =>
            {
                var w = b.Add(stage);
                b.From(up.Outlet).To(w.In);
                b.From(w.Out0).To(@out.Inlet);
                b.From(w.Out1).To(late.Inlet);
                return ClosedShape.Instance;
            });
        return RunnableGraph.FromGraph(graph).Run(Materializer);
    }

    /// <summary>Moves the wall clock on by one idle tick and answers the question the stage asks with <paramref name="logEnd"/> (null: fails it).</summary>
    private async Task TickAndAnswer(long? logEnd)
    {
        Scheduler.Advance(TimeSpan.FromSeconds(1));
        var (asked, answer) = await _logEnds.Questions.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal([new TopicPartition(Topic, 0)], asked);
        if (logEnd is { } end)
        {
            answer.SetResult(new Dictionary<TopicPartition, long> { [new TopicPartition(Topic, 0)] = end });
        }
        else
        {
            answer.SetException(new KafkaException(ErrorCode.RequestTimedOut));
        }
    }

    /// <summary>The events (late ones marked) the stage emits until it completes; watermarks left out.</summary>
    private static async Task<List<string>> EventsUntilComplete(TestSubscriber.Probe<Timed> probe)
    {
        var seen = new List<string>();
        while (true)
        {
            switch (await probe.ExpectEventAsync())
            {
                case TestSubscriber.OnNext<Timed> { Element: var t } when !t.IsWatermark:
                    seen.Add(t.Event!.EventId + (t.Event.IsLate ? " late" : ""));
                    break;
                case TestSubscriber.OnComplete:
                    return seen;
                case TestSubscriber.OnError e:
                    throw new InvalidOperationException("the stage failed", e.Cause);
            }
        }
    }

    private static long Wm(Timed t) => t.IsWatermark ? t.Watermark : throw new InvalidOperationException($"an event, {t.Event!.EventId}, where a watermark was expected");

    [Fact]
    public async Task A_partition_watermark_stage_must_not_move_an_idle_partition_past_records_its_fetches_have_not_brought_yet()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run();
            @out.Request(100);
            late.Request(100);
            var t0 = Scheduler.Now.ToUnixTimeMilliseconds();
            await up.SendNextAsync(Ev(t0, "first"));
            Assert.Equal("first", (await @out.ExpectNextAsync()).Event!.EventId);
            Assert.Equal(t0 - S(5), Wm(await @out.ExpectNextAsync()));

            Scheduler.Advance(TimeSpan.FromSeconds(29)); // idle at 30 s
            await TickAndAnswer(1); // asked at 30 s: caught up, nothing has passed yet
            await TickAndAnswer(1); // asked at 31 s: caught up
            Assert.Equal(t0 - S(4), Wm(await @out.ExpectNextAsync()));
            await TickAndAnswer(1);
            Assert.Equal(t0 - S(3), Wm(await @out.ExpectNextAsync()));

            // from 33 s the broker holds records the consumer cannot fetch: the log end is past what was read
            for (var i = 0; i < 40; i++)
            {
                await TickAndAnswer(4);
            }

            await @out.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

            // the fetches succeed again: the backlog, written at 33–35 s, is on time
            foreach (var (at, id) in new[] { (t0 + S(33), "backlog-1"), (t0 + S(34), "backlog-2"), (t0 + S(35), "backlog-3") })
            {
                await up.SendNextAsync(Ev(at, id));
            }

            await up.SendCompleteAsync();
            Assert.Equal(["backlog-1", "backlog-2", "backlog-3"], await EventsUntilComplete(@out));
            await late.ExpectCompleteAsync(); // nothing too late
            Assert.True(_progress.CaughtUpTo(4));
        }, Materializer);
    }

    [Fact]
    public async Task A_partition_watermark_stage_must_hold_an_idle_partition_while_a_record_is_on_its_way_or_the_broker_does_not_answer()
    {
        await this.AssertAllStagesStoppedAsync(async () =>
        {
            var (up, @out, late) = Run();
            @out.Request(100);
            late.Request(100);
            var t0 = Scheduler.Now.ToUnixTimeMilliseconds();
            await up.SendNextAsync(Ev(t0, "first"));
            await @out.ExpectNextAsync();
            Assert.Equal(t0 - S(5), Wm(await @out.ExpectNextAsync()));
            Scheduler.Advance(TimeSpan.FromSeconds(29));
            await TickAndAnswer(1);

            await TickAndAnswer(null); // no answer: held, and the stage goes on
            var onItsWay = Ev(t0 + S(31), "held-back"); // taken from the consumer, not yet at the stage (backpressure)
            for (var i = 0; i < 40; i++)
            {
                await TickAndAnswer(2); // read up to its log end, yet one record has not reached the stage
            }

            await @out.ExpectNoMsgAsync(TimeSpan.FromMilliseconds(200));

            await up.SendNextAsync(onItsWay);
            await up.SendCompleteAsync();
            Assert.Equal(["held-back"], await EventsUntilComplete(@out)); // on time, not flagged late
            await late.ExpectCompleteAsync();
        }, Materializer);
    }

    /// <summary>Log ends answered by the test: each question waits in <see cref="Questions"/> for its answer.</summary>
    private sealed class QuestionedLogEnds : ILogEndProbe
    {
        public Channel<(IReadOnlyCollection<TopicPartition> Asked, TaskCompletionSource<IReadOnlyDictionary<TopicPartition, long>> Answer)> Questions { get; } =
            Channel.CreateUnbounded<(IReadOnlyCollection<TopicPartition>, TaskCompletionSource<IReadOnlyDictionary<TopicPartition, long>>)>();

        public Task<IReadOnlyDictionary<TopicPartition, long>> LogEndsAsync(IReadOnlyCollection<TopicPartition> partitions, CancellationToken cancellationToken)
        {
            var answer = new TaskCompletionSource<IReadOnlyDictionary<TopicPartition, long>>(TaskCreationOptions.RunContinuationsAsynchronously);
            Questions.Writer.TryWrite((partitions, answer));
            return answer.Task;
        }
    }
}
