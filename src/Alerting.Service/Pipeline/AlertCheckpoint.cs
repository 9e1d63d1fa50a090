using System.Buffers.Binary;

namespace Alerting.Service.Pipeline;

/// <summary>
/// What the alert pipeline stores for one events-topic partition at a checkpoint, after every alert produced so
/// far was acknowledged by Kafka: the matcher's device state of the partition (a snapshot), the next offset it had
/// read (<see cref="Position"/>), the watermark the matcher had released events up to (<see cref="ReleasedUpTo"/>),
/// and the offset to resume from (<see cref="Resume"/>): the oldest offset of an event still waiting for the
/// watermark, which a snapshot leaves out. A restart restores the snapshot and reads the partition again from
/// <see cref="Resume"/>; a record before <see cref="Position"/> that was already matched (or classified) is
/// <see cref="Covers">covered</see> by the snapshot and skipped, so the matcher continues exactly where it stopped.
/// </summary>
/// <param name="Resume">The offset to read from after a restore (Kafka's committed offset of the partition).</param>
/// <param name="Position">The next offset the pipeline had read when the checkpoint was taken.</param>
/// <param name="ReleasedUpTo">The matcher's watermark (Unix ms): events at or before it were matched.</param>
/// <param name="EngineState">The matcher's snapshot of the partition's devices.</param>
public sealed record AlertCheckpoint(long Resume, long Position, long ReleasedUpTo, byte[] EngineState)
{
    /// <summary>The manifest the checkpoint is stored under.</summary>
    public const string Manifest = "alert-checkpoint/2";

    /// <summary>The manifest of the first format (no rule-set version: read as version 0).</summary>
    public const string ManifestV1 = "alert-checkpoint/1";

    private const int HeaderBytesV1 = 24;
    private const int HeaderBytes = 32;

    /// <summary>
    /// The live rule-set version the matcher was under (0: the base set). A restored partition resumes under that
    /// version and swaps to newer ones at their effective times, as the first run did, so a replay gives the same alerts.
    /// </summary>
    public long RulesVersion { get; init; }

    /// <summary>Whether a record read again was already taken into this checkpoint: matched, classified too late, or dead-lettered.</summary>
    /// <param name="offset">The record's offset.</param>
    /// <param name="eventTime">Its event time, or null for a record that does not decode (dead-lettered when first read).</param>
    public bool Covers(long offset, long? eventTime) =>
        offset < Position && (eventTime is not { } t || t <= ReleasedUpTo);

    /// <summary>The stored form: four big-endian longs (resume, position, released-up-to, rule-set version), then the matcher's snapshot.</summary>
    public byte[] ToBytes()
    {
        var bytes = new byte[HeaderBytes + EngineState.Length];
        BinaryPrimitives.WriteInt64BigEndian(bytes, Resume);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(8), Position);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(16), ReleasedUpTo);
        BinaryPrimitives.WriteInt64BigEndian(bytes.AsSpan(24), RulesVersion);
        EngineState.CopyTo(bytes, HeaderBytes);
        return bytes;
    }

    /// <summary>Reads the stored form back.</summary>
    /// <exception cref="InvalidDataException">Shorter than its header, or offsets that contradict each other.</exception>
    public static AlertCheckpoint FromBytes(byte[] bytes) => FromBytes(bytes, Manifest);

    /// <summary>Reads the stored form of <paramref name="manifest"/> (<see cref="Manifest"/> or <see cref="ManifestV1"/>) back.</summary>
    /// <exception cref="InvalidDataException">Shorter than its header, or offsets that contradict each other.</exception>
    public static AlertCheckpoint FromBytes(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var header = manifest == ManifestV1 ? HeaderBytesV1 : HeaderBytes;
        if (bytes.Length < header)
        {
            throw new InvalidDataException($"alert checkpoint of {bytes.Length} bytes is shorter than its {header}-byte header");
        }

        var resume = BinaryPrimitives.ReadInt64BigEndian(bytes);
        var position = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(8));
        var released = BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(16));
        if (resume < 0 || position < resume)
        {
            throw new InvalidDataException($"alert checkpoint resumes at {resume} but was taken at {position}");
        }

        var rules = header == HeaderBytes ? BinaryPrimitives.ReadInt64BigEndian(bytes.AsSpan(24)) : 0;
        return new AlertCheckpoint(resume, position, released, bytes[header..]) { RulesVersion = rules };
    }
}
