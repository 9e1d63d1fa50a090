using Akka;
using Akka.Streams.Dsl;
using Alerting.Kafka.Messages;
using Alerting.Kafka.Settings;

namespace Alerting.Kafka.Dsl;

/// <summary>
/// Commits offsets in batches, with Akka.Streams.Kafka's names: offsets are aggregated (the latest per partition)
/// until <c>max-batch</c> of them or <c>max-interval</c> has passed, then committed through the consumers that read
/// them, <c>parallelism</c> commits at a time. A failed commit fails the stream. On upstream completion what is
/// aggregated is committed before completing.
/// </summary>
public static class Committer
{
    /// <summary>Commits and emits each committed batch.</summary>
    public static Flow<ICommittable, ICommittableOffsetBatch, NotUsed> BatchFlow(CommitterSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return Akka.Streams.Dsl.Flow.Create<ICommittable>()
            .GroupedWithin(settings.MaxBatch, settings.MaxInterval)
            .Select(CommittableOffsetBatch.Create)
            .SelectAsync(settings.Parallelism, async batch =>
            {
                await batch.Commit().ConfigureAwait(false);
                return batch;
            })
            .Named("KafkaCommitter");
    }

    /// <summary>Commits; emits nothing useful.</summary>
    public static Flow<ICommittable, NotUsed, NotUsed> Flow(CommitterSettings settings) =>
        BatchFlow(settings).Select(_ => NotUsed.Instance);

    /// <summary>Commits; the task completes once upstream completed and the last commit is done, or fails with the commit's failure.</summary>
    public static Sink<ICommittable, Task> Sink(CommitterSettings settings) =>
        BatchFlow(settings)
            .ToMaterialized(Akka.Streams.Dsl.Sink.Ignore<ICommittableOffsetBatch>(), Keep.Right)
            .MapMaterializedValue(done => (Task)done);
}
