using Alerting.Kafka.Dsl;

namespace Alerting.Events;

/// <summary>
/// What a <see cref="PartitionWatermarkStage"/> needs to confirm that an idle topic partition is caught up rather than
/// stuck: the broker's log ends (<see cref="ILogEndProbe"/>, asked off the stream's thread) and how far each topic
/// partition of the stage has been read and handed on (<see cref="ReadProgress"/>, kept by whoever feeds the stage).
/// The stage settles each event it takes in its partition's progress.
/// </summary>
public sealed class IdleConfirmation
{
    private readonly Func<string, int, ReadProgress?> _progress;

    /// <param name="probe">The broker's log ends.</param>
    /// <param name="progress">The read progress of a topic partition of the stage; null when unknown (never confirmed).</param>
    public IdleConfirmation(ILogEndProbe probe, Func<string, int, ReadProgress?> progress)
    {
        ArgumentNullException.ThrowIfNull(probe);
        ArgumentNullException.ThrowIfNull(progress);
        Probe = probe;
        _progress = progress;
    }

    /// <summary>The broker's log ends.</summary>
    public ILogEndProbe Probe { get; }

    /// <summary>The read progress of a topic partition; null when unknown.</summary>
    public ReadProgress? ProgressOf(string topic, int partition) => _progress(topic, partition);
}
