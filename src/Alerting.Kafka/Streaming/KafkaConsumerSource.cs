using System.Runtime.CompilerServices;
using Alerting.Streams;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// A committable partitioned Kafka source (the role of Akka.Streams.Kafka's <c>CommittablePartitionedSource</c>):
/// one consumer group member, polled on a dedicated thread, that emits an <see cref="AssignedPartition"/> — a
/// substream of that partition's records plus its <see cref="OffsetTracker"/> — for each partition the group
/// assigns to it.
/// </summary>
/// <remarks>
/// <para><b>Backpressure.</b> Each partition has a bounded buffer of <see cref="KafkaConsumerSettings.PartitionBufferSize"/>;
/// when it is full the polling thread pauses that partition (never blocking the poll loop, so rebalances and
/// commits go on) and resumes it once the buffer is half drained.</para>
/// <para><b>Offsets.</b> Downstream marks records done in any order; every <see cref="KafkaConsumerSettings.CommitInterval"/>
/// the polling thread commits each partition's <see cref="OffsetTracker.Committable"/> offset — the lowest offset
/// still needed — so a commit never passes a record that is still needed. On revoke the partition's offset is
/// committed synchronously inside the rebalance callback, before the next owner starts, and its substream completes
/// (buffered records are dropped: the next owner reads them again). On stop the done offsets are committed and the
/// consumer is closed (leaving the group at once); <see cref="DrainAndStopAsync"/> first stops taking input and waits
/// for in-flight records to be marked done.</para>
/// <para><b>Delivery.</b> At least once: records re-read after a rebalance are counted in
/// <see cref="KafkaConsumerCounters.RepeatedRecords"/>; offsets skipped forward are counted as data loss in
/// <see cref="KafkaConsumerCounters.SkippedOffsets"/>.</para>
/// <para><b>Materialization.</b> Each materialization of <see cref="Partitioned"/> creates a new consumer (so a
/// <see cref="RestartSource"/> around it restarts the member); only one may run at a time. The source completes after
/// a stop or drain, fails on a fatal client error (substreams fail with it); cancelling it stops the member as above.</para>
/// </remarks>
public sealed partial class KafkaConsumerSource
{
    private readonly KafkaConsumerSettings _settings;
    private readonly string[] _topics;
    private readonly ILogger _log;
    private readonly Dictionary<Confluent.Kafka.TopicPartition, long> _highestTaken = [];
    private volatile ConsumerRun? _run;
    private int _running;

    /// <summary>Creates the source of a member subscribed to <paramref name="topics"/>.</summary>
    public KafkaConsumerSource(KafkaConsumerSettings settings, IEnumerable<string> topics, ILogger? logger = null)
    {
        _settings = settings ?? throw new ArgumentNullException(nameof(settings));
        ArgumentNullException.ThrowIfNull(topics);
        _topics = topics.Distinct(StringComparer.Ordinal).ToArray();
        if (_topics.Length == 0)
        {
            throw new ArgumentException("At least one topic is needed.", nameof(topics));
        }

        ArgumentOutOfRangeException.ThrowIfLessThan(settings.PartitionBufferSize, 1, nameof(settings));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(settings.CommitInterval, TimeSpan.Zero, nameof(settings));
        _log = logger ?? NullLogger.Instance;
    }

    /// <summary>The settings.</summary>
    public KafkaConsumerSettings Settings => _settings;

    /// <summary>The topics subscribed to.</summary>
    public IReadOnlyList<string> Topics => _topics;

    /// <summary>Counters over every run of this source.</summary>
    public KafkaConsumerCounters Counters { get; } = new();

    /// <summary>True while a materialization is running.</summary>
    public bool IsRunning => Volatile.Read(ref _running) == 1;

    /// <summary>The partitions currently assigned to the running member (empty when not running).</summary>
    public IReadOnlyList<AssignedPartition> Assigned => _run?.Snapshot() ?? [];

    /// <summary>The source of assigned partitions; each materialization is a new group member.</summary>
    public Source<AssignedPartition> Partitioned => new(ctx => PartitionedAsync(ctx));

    /// <summary>The records of every assigned partition, merged (see <see cref="SubstreamOperators.MergeSubstreams{TSub,T}"/>).</summary>
    public Source<CommittableRecord> Committable(int bufferSize = 16) => Partitioned.MergeSubstreams(p => p.Records, bufferSize);

    /// <summary>
    /// <see cref="Partitioned"/> restarted with backoff when the member fails (a fatal client error): the failed
    /// member's substreams fail, and after the backoff a new member joins the group.
    /// </summary>
    public Source<AssignedPartition> PartitionedWithRestart(RestartSettings restart) =>
        RestartSource.OnFailuresWithBackoff(restart ?? throw new ArgumentNullException(nameof(restart)), () => Partitioned);

    /// <summary>
    /// Drains the running member: stops taking input (pauses every partition, completes the substreams, drops what is
    /// buffered), waits until every emitted record is marked done or <paramref name="timeout"/> passes, commits the
    /// done offsets and closes the consumer. The source then completes. Returns at once when nothing runs.
    /// </summary>
    public async Task DrainAndStopAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        var run = _run;
        if (run is null)
        {
            return;
        }

        run.RequestDrain(_settings.TimeProvider.GetUtcNow() + timeout);
        await run.Completion.WaitAsync(cancellationToken);
    }

    /// <summary>Stops the running member without waiting for in-flight records: commits what is done and closes the consumer.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        var run = _run;
        if (run is null)
        {
            return;
        }

        run.RequestStop();
        await run.Completion.WaitAsync(cancellationToken);
    }

    private async IAsyncEnumerable<AssignedPartition> PartitionedAsync(StreamContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _running, 1) == 1)
        {
            throw new InvalidOperationException("This Kafka source is already running; materialize it once at a time.");
        }

        var lifetime = context.Register("KafkaConsumerSource");
        ConsumerRun? run = null;
        try
        {
            run = new ConsumerRun(this);
            _run = run;
            run.Start();
            context.Track("KafkaConsumerSource.poll", run.Completion);
            var reader = run.Partitions.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var partition))
                {
                    yield return partition;
                }
            }
        }
        finally
        {
            if (run is not null)
            {
                run.RequestStop();
                await run.Completion;
            }

            _run = null;
            Volatile.Write(ref _running, 0);
            lifetime.Stop();
        }
    }

    [LoggerMessage(EventId = 2100, Level = LogLevel.Warning, Message = "Kafka consume error, continuing: {Reason}")]
    private static partial void LogConsumeError(ILogger logger, string reason);

    [LoggerMessage(EventId = 2101, Level = LogLevel.Warning, Message = "Kafka commit of {Count} partitions rejected: {Reason}")]
    private static partial void LogCommitFailed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = 2102, Level = LogLevel.Error, Message = "Kafka consumer failed")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 2103, Level = LogLevel.Warning, Message = "Offsets of {TopicPartition} jumped from {Expected} to {Offset}: {Skipped} records not read")]
    private static partial void LogGap(ILogger logger, string topicPartition, long expected, long offset, long skipped);

    [LoggerMessage(EventId = 2104, Level = LogLevel.Information, Message = "Partitions {Change}: {Partitions}")]
    private static partial void LogRebalance(ILogger logger, string change, string partitions);
}
