using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Alerting.Streams;
using Confluent.Kafka;

namespace Alerting.Kafka.Streaming;

/// <summary>
/// One partition assigned to a <see cref="KafkaConsumerSource"/>: its records as a substream (a single-use
/// <see cref="Source{T}"/>) and the <see cref="OffsetTracker"/> of this assignment. The substream emits the
/// partition's records in offset order, registering each with the tracker as it is emitted; it completes when the
/// partition is revoked or lost (records still buffered are dropped, never emitted: the next owner reads them from
/// the last commit), when the source drains or stops, and fails when the consumer fails.
/// </summary>
public sealed class AssignedPartition
{
    private readonly Channel<ConsumeResult<byte[]?, byte[]?>> _channel;
    private int _opened;

    internal AssignedPartition(TopicPartition topicPartition, long committedAtAssignment, int bufferSize)
    {
        TopicPartition = topicPartition;
        Tracker = new OffsetTracker(topicPartition, committedAtAssignment);
        _channel = Channel.CreateBounded<ConsumeResult<byte[]?, byte[]?>>(new BoundedChannelOptions(bufferSize)
        {
            SingleWriter = true,
            SingleReader = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The partition.</summary>
    public TopicPartition TopicPartition { get; }

    /// <summary>The offsets of this assignment that downstream still needs.</summary>
    public OffsetTracker Tracker { get; }

    /// <summary>Records waiting in the partition's buffer (not yet emitted).</summary>
    public int Buffered => _channel.Reader.Count;

    /// <summary>True while the partition is paused because its buffer was full.</summary>
    public bool IsPaused { get; internal set; }

    /// <summary>Completes when the substream's buffer is completed (revoke, drain, stop or failure).</summary>
    public Task Completion => _channel.Reader.Completion;

    /// <summary>The partition's records; open it once.</summary>
    public Source<CommittableRecord> Records => new(ctx => ReadAsync(ctx));

    internal ChannelWriter<ConsumeResult<byte[]?, byte[]?>> Writer => _channel.Writer;

    /// <summary>Completes the substream and drops what is buffered; returns how many records were dropped.</summary>
    internal int Close(Exception? failure)
    {
        _channel.Writer.TryComplete(failure);
        var dropped = 0;
        while (_channel.Reader.TryRead(out _))
        {
            dropped++;
        }

        return dropped;
    }

    private async IAsyncEnumerable<CommittableRecord> ReadAsync(StreamContext context, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        if (Interlocked.Exchange(ref _opened, 1) == 1)
        {
            throw new InvalidOperationException($"The substream of {TopicPartition} was already opened.");
        }

        var lifetime = context.Register($"KafkaPartition {TopicPartition}");
        try
        {
            var reader = _channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var record))
                {
                    if (!Tracker.TryRegister(record.Offset.Value))
                    {
                        if (Tracker.IsRevoked)
                        {
                            yield break;
                        }

                        continue;
                    }

                    yield return new CommittableRecord(record, Tracker);
                }
            }
        }
        finally
        {
            lifetime.Stop();
        }
    }

    /// <inheritdoc />
    public override string ToString() => $"AssignedPartition({TopicPartition})";
}
