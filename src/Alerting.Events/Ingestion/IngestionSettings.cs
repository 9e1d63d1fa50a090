namespace Alerting.Events;

/// <summary>Settings of an <see cref="IngestionPipeline"/>: where rejected records go and how much is buffered.</summary>
public sealed record IngestionSettings
{
    /// <summary>Creates settings naming the dead-letter and late topics.</summary>
    public IngestionSettings(string deadLetterTopic, string lateTopic)
    {
        ArgumentException.ThrowIfNullOrEmpty(deadLetterTopic);
        ArgumentException.ThrowIfNullOrEmpty(lateTopic);
        DeadLetterTopic = deadLetterTopic;
        LateTopic = lateTopic;
    }

    /// <summary>Topic of records that could not be decoded (headers: reason, message, source topic, partition, offset).</summary>
    public string DeadLetterTopic { get; init; }

    /// <summary>Topic of events that arrived more than the allowed lateness behind the watermark.</summary>
    public string LateTopic { get; init; }

    /// <summary>Dead-letter and late records waiting for the producer; when full, decoding waits (backpressure).</summary>
    public int SideBufferSize { get; init; } = 1024;

    /// <summary>Dead-letter and late records produced and not yet acknowledged, at most.</summary>
    public int ProducerMaxInFlight { get; init; } = 1000;

    /// <summary>Decoded events buffered between the partitions' substreams and the watermark stage.</summary>
    public int MergeBufferSize { get; init; } = 256;

    /// <summary>Settings of the watermark stage.</summary>
    public WatermarkStageOptions Watermark { get; init; } = new();
}

/// <summary>What an <see cref="IngestionPipeline"/> has done; read from any thread.</summary>
public sealed class IngestionCounters
{
    internal long _events;
    internal long _acked;
    internal long _deadLettered;
    internal long _tooLate;

    /// <summary>Decoded records and decode failures per reason.</summary>
    public DecodeCounters Decode { get; } = new();

    /// <summary>Events handed to the watermark stage.</summary>
    public long Events => Interlocked.Read(ref _events);

    /// <summary>Events the downstream consumer acknowledged (<see cref="IngestionPipeline.Ack(DeviceEvent)"/>).</summary>
    public long Acked => Interlocked.Read(ref _acked);

    /// <summary>Records written to the dead-letter topic and acknowledged by Kafka.</summary>
    public long DeadLettered => Interlocked.Read(ref _deadLettered);

    /// <summary>Events written to the late topic and acknowledged by Kafka.</summary>
    public long TooLate => Interlocked.Read(ref _tooLate);
}
