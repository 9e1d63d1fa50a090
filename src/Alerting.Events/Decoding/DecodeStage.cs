using System.Runtime.CompilerServices;

namespace Alerting.Events;

/// <summary>A record as read from a topic: key, value and origin, before decoding.</summary>
/// <param name="Key">The record key (may be null).</param>
/// <param name="Value">The record value (UTF-8 JSON, or whatever a producer sent).</param>
/// <param name="Origin">Topic, partition and offset.</param>
public readonly record struct RawRecord(byte[]? Key, ReadOnlyMemory<byte> Value, RecordOrigin Origin);

/// <summary>Takes a dead-letter record (e.g. produces it to the dead-letter topic). Awaited: a slow sink slows the stage.</summary>
public delegate ValueTask DeadLetterHandler(DeadLetterRecord record, CancellationToken cancellationToken);

/// <summary>
/// The decode stage: <b>emits</b> one <see cref="DeviceEvent"/> per record that decodes, in upstream order; a
/// record that does not decode is not emitted but handed, as a <see cref="DeadLetterRecord"/> carrying the
/// reason, message, topic, partition and offset, to the <see cref="DeadLetterHandler"/> — awaited before the
/// next record is pulled, so bad input is never lost and never stops the stream. Every outcome moves the
/// <see cref="DecodeCounters"/>. <b>Pulls</b> one record per demand (no buffer); <b>completes</b> with upstream;
/// <b>fails</b> with upstream's or the handler's exception; honours cancellation between records.
/// </summary>
public sealed class DecodeStage
{
    private readonly EventDecoder _decoder;
    private readonly DeadLetterHandler _onDeadLetter;

    public DecodeStage(EventDecoder decoder, DeadLetterHandler onDeadLetter, DecodeCounters? counters = null)
    {
        _decoder = decoder ?? throw new ArgumentNullException(nameof(decoder));
        _onDeadLetter = onDeadLetter ?? throw new ArgumentNullException(nameof(onDeadLetter));
        Counters = counters ?? new DecodeCounters();
    }

    /// <summary>The counters this stage moves.</summary>
    public DecodeCounters Counters { get; }

    /// <summary>Runs the stage over <paramref name="records"/>; enumerate the result once.</summary>
    public async IAsyncEnumerable<DeviceEvent> Run(IAsyncEnumerable<RawRecord> records, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(records);
        await foreach (var record in records.WithCancellation(cancellationToken))
        {
            var result = _decoder.Decode(record.Value, record.Origin);
            Counters.Count(result);
            if (result.IsOk)
            {
                yield return result.Event!;
            }
            else
            {
                await _onDeadLetter(DeadLetterHeaders.ForDecodeFailure(record.Key, record.Value, record.Origin, result), cancellationToken);
            }
        }
    }
}

/// <summary>Stream-style entry point for the decode stage.</summary>
public static class DecodeStreamExtensions
{
    /// <summary><c>records.Decode(decoder, onDeadLetter)</c>: runs a <see cref="DecodeStage"/> over the records.</summary>
    public static IAsyncEnumerable<DeviceEvent> Decode(
        this IAsyncEnumerable<RawRecord> records,
        EventDecoder decoder,
        DeadLetterHandler onDeadLetter,
        DecodeCounters? counters = null,
        CancellationToken cancellationToken = default) =>
        new DecodeStage(decoder, onDeadLetter, counters).Run(records, cancellationToken);
}
