namespace Alerting.Events;

/// <summary>
/// Settings of a <see cref="PartitionWatermarkStage"/>: the source's watermark settings plus the clamp, the idle
/// tick and what a restored partition starts from. Immutable; copy with <c>with</c> or the <c>With*</c> methods.
/// </summary>
public sealed record PartitionWatermarkSettings
{
    /// <summary>The defaults (those of a default <see cref="SourceDefinition"/>).</summary>
    public static PartitionWatermarkSettings Default { get; } = new();

    /// <summary>A partition's watermark is its max event time minus this.</summary>
    public TimeSpan MaxOutOfOrderness { get; init; } = TimeSpan.FromSeconds(5);

    /// <summary>Events up to this far behind the watermark are passed on, flagged late; older ones go to the late outlet.</summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.Zero;

    /// <summary>
    /// A topic of the partition without events for this long (wall clock) stops holding the watermark back, and an
    /// idle partition's watermark moves on with the wall clock; zero disables both.
    /// </summary>
    public TimeSpan IdleTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The time an event feeds to the watermark is clamped to wall clock + this (10 s).</summary>
    public TimeSpan MaxClockSkew { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>How often an idle partition's watermark is moved on with the wall clock, and asked to be confirmed caught up (1 s).</summary>
    public TimeSpan IdleTick { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The topic partitions the stage reads (co-partitioned topics share a stage per partition number): each holds
    /// the watermark back from the start, until its first event or until it is idle. Empty: only those seen.
    /// </summary>
    public IReadOnlyList<(string Topic, int Partition)> Partitions { get; init; } = [];

    /// <summary>
    /// A watermark to start from (Unix ms), e.g. the released watermark of the checkpoint the partition was
    /// restored from, so events older than it are classified as they were before; null for a fresh start.
    /// </summary>
    public long? ResumeFrom { get; init; }

    /// <summary>
    /// Emit a final watermark of <see cref="long.MaxValue"/> when upstream completes, flushing everything downstream
    /// (for bounded replays of history). Off for live streams, whose completion means shutdown or revocation.
    /// </summary>
    public bool EmitFinalWatermark { get; init; }

    /// <summary>Settings with the watermark settings of <paramref name="source"/>.</summary>
    public static PartitionWatermarkSettings For(SourceDefinition source)
    {
        ArgumentNullException.ThrowIfNull(source);
        return new PartitionWatermarkSettings
        {
            MaxOutOfOrderness = source.MaxOutOfOrderness,
            AllowedLateness = source.AllowedLateness,
            IdleTimeout = source.IdleTimeout,
        };
    }

    /// <summary>A copy reading these topic partitions.</summary>
    public PartitionWatermarkSettings WithPartitions(params (string Topic, int Partition)[] partitions) => this with { Partitions = partitions };

    /// <summary>A copy resuming from a restored watermark.</summary>
    public PartitionWatermarkSettings WithResumeFrom(long? watermark) => this with { ResumeFrom = watermark };

    /// <summary>A copy with another max clock skew.</summary>
    public PartitionWatermarkSettings WithMaxClockSkew(TimeSpan skew) => this with { MaxClockSkew = skew };

    /// <summary>A copy that emits (or not) a final watermark on completion.</summary>
    public PartitionWatermarkSettings WithFinalWatermark(bool emit) => this with { EmitFinalWatermark = emit };

    /// <summary>
    /// A tracker with these settings on <paramref name="time"/>, idle advance on; with <paramref name="requireConfirmation"/>
    /// an idle partition advances only as far as the broker confirmed it caught up (see <see cref="WatermarkTracker"/>).
    /// </summary>
    public WatermarkTracker CreateTracker(TimeProvider time, bool requireConfirmation = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(IdleTick, TimeSpan.Zero, nameof(IdleTick));
        return new WatermarkTracker(MaxOutOfOrderness, AllowedLateness, IdleTimeout, time, MaxClockSkew, idleAdvance: true, requireConfirmation);
    }
}
