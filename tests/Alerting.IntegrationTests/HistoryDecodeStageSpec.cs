using System.Collections.Immutable;
using System.Text;
using Akka.Actor;
using Akka.Streams;
using Akka.Streams.Dsl;
using Alerting.Events;
using Alerting.Service.Hosting;
using Alerting.Service.Pipeline;
using Alerting.Service.Settings;
using Confluent.Kafka;

namespace Alerting.IntegrationTests;

/// <summary>The bootstrap history read's per-record stage, over chunks of one partition's records: end offsets, refused records, completion.</summary>
public sealed class HistoryDecodeStageSpec : IAsyncLifetime
{
    private const string Topic = "events";
    private readonly ActorSystem _system = ActorSystem.Create("history-decode-spec", "akka.loglevel = WARNING");
    private readonly EventDecoder _decoder;
    private readonly SeedEventGenerator _generator;

    public HistoryDecodeStageSpec()
    {
        var settings = AlertingSettings.Create(ServiceConfiguration.Build(null, "demo", []));
        var rules = RuleSetLoader.Load(settings.Rules, settings.Sources);
        _decoder = new EventDecoder(settings.Sources[0], TimeProvider.System, rules.Schema);
        _generator = new SeedEventGenerator(5, new SeedEventOptions
        {
            Devices = 10,
            Start = DateTimeOffset.UtcNow - TimeSpan.FromMinutes(5),
            Step = TimeSpan.FromMilliseconds(10),
            MaxDisorder = TimeSpan.Zero,
            PatternShare = 0,
            MalformedShare = 0,
        });
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public Task DisposeAsync() => _system.Terminate();

    [Fact]
    public async Task HistoryDecode_must_emit_the_decoded_events_of_each_chunk_before_each_end_offset_skip_refused_records_and_complete_at_the_last_end()
    {
        var chunks = new[]
        {
            Chunk(Valid(0, 0)),
            Chunk(Valid(1, 0)),
            Chunk(Refused(0, 1)), // nothing to emit: the stage pulls again
            Chunk(Valid(1, 1), Valid(1, 2)), // offset 2 is past partition 1's end: the live stream's
            Chunk(Valid(0, 2), Valid(0, 3)), // partition 0's last record, then one past its end: every partition is read
            Chunk(Valid(0, 4)), // never taken
        };
        var ends = new Dictionary<TopicPartition, long> { [Tp(0)] = 3, [Tp(1)] = 2 };

        var emitted = await Decode(chunks, ends);

        Assert.Equal(
            [[(0, 0L)], [(1, 0L)], [(1, 1L)], [(0, 2L)]],
            emitted.Select(events => events.Select(e => (e.Partition, e.Offset)).ToArray()));
    }

    [Fact]
    public async Task HistoryDecode_must_complete_when_the_last_record_before_the_end_is_refused()
    {
        var ends = new Dictionary<TopicPartition, long> { [Tp(0)] = 7 };

        // alone in its chunk, and with a record past the end after it
        var alone = await Decode([Chunk(Valid(0, 5)), Chunk(Refused(0, 6))], ends);
        var followed = await Decode([Chunk(Valid(0, 5), Refused(0, 6), Valid(0, 7))], ends);

        Assert.Equal([5L], alone.SelectMany(events => events).Select(e => e.Offset));
        Assert.Equal([5L], followed.SelectMany(events => events).Select(e => e.Offset));
    }

    [Fact]
    public async Task HistoryDecode_must_fail_on_a_record_of_a_partition_without_an_end_offset()
    {
        var ends = new Dictionary<TopicPartition, long> { [Tp(0)] = 7 };

        var read = Source.Single(Chunk(Valid(3, 0)))
            .Via(new HistoryDecodeStage(ends, new Dictionary<string, EventDecoder> { [Topic] = _decoder }))
            .RunWith(Sink.Seq<IReadOnlyList<DeviceEvent>>(), _system.Materializer());

        await Assert.ThrowsAsync<InvalidOperationException>(() => read.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    /// <summary>What the stage emits for <paramref name="chunks"/> from a source that never completes: only the stage can end the read.</summary>
    private Task<IImmutableList<IReadOnlyList<DeviceEvent>>> Decode(IReadOnlyList<ConsumeResult<Ignore, byte[]>>[] chunks, Dictionary<TopicPartition, long> ends) =>
        Source.From(chunks).Concat(Source.Never<IReadOnlyList<ConsumeResult<Ignore, byte[]>>>())
            .Via(new HistoryDecodeStage(ends, new Dictionary<string, EventDecoder> { [Topic] = _decoder }))
            .RunWith(Sink.Seq<IReadOnlyList<DeviceEvent>>(), _system.Materializer())
            .WaitAsync(TimeSpan.FromSeconds(30));

    private static IReadOnlyList<ConsumeResult<Ignore, byte[]>> Chunk(params ConsumeResult<Ignore, byte[]>[] records) => records;

    private static TopicPartition Tp(int partition) => new(Topic, partition);

    private ConsumeResult<Ignore, byte[]> Valid(int partition, long offset) => Record(partition, offset, _generator.Next().Value);

    private static ConsumeResult<Ignore, byte[]> Refused(int partition, long offset) => Record(partition, offset, Encoding.UTF8.GetBytes("{not json"));

    private static ConsumeResult<Ignore, byte[]> Record(int partition, long offset, byte[] value) => new()
    {
        TopicPartitionOffset = new TopicPartitionOffset(Tp(partition), offset),
        Message = new Message<Ignore, byte[]> { Value = value },
    };
}
