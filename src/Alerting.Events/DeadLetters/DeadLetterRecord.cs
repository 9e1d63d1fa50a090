using System.Globalization;
using System.Text;

namespace Alerting.Events;

/// <summary>
/// A record ready to produce to the dead-letter topic (a record that could not be decoded) or the late topic
/// (an event behind the watermark by more than the allowed lateness): the original key and value, unchanged,
/// and headers saying why and where it came from. Header values are UTF-8 text.
/// </summary>
/// <param name="Key">The original record key (may be null).</param>
/// <param name="Value">The original record value, byte for byte.</param>
/// <param name="Headers">Reason, message, source topic, partition and offset (see <see cref="DeadLetterHeaders"/>).</param>
public sealed record DeadLetterRecord(byte[]? Key, ReadOnlyMemory<byte> Value, IReadOnlyList<KeyValuePair<string, byte[]>> Headers)
{
    /// <summary>The text of a header, or null when absent.</summary>
    public string? Header(string name)
    {
        foreach (var (key, value) in Headers)
        {
            if (key == name)
            {
                return Encoding.UTF8.GetString(value);
            }
        }

        return null;
    }
}

/// <summary>Header names of dead-letter and late records, and the builders that fill them.</summary>
public static class DeadLetterHeaders
{
    /// <summary>Stable snake_case reason, e.g. <c>missing_device_id</c> or <c>too_late</c>.</summary>
    public const string Reason = "alerting-reason";

    /// <summary>Human-readable detail, at most <see cref="MaxMessageChars"/> characters.</summary>
    public const string Message = "alerting-message";

    /// <summary>Topic the record was read from.</summary>
    public const string SourceTopic = "alerting-source-topic";

    /// <summary>Partition the record was read from (decimal).</summary>
    public const string SourcePartition = "alerting-source-partition";

    /// <summary>Offset of the record in its partition (decimal).</summary>
    public const string SourceOffset = "alerting-source-offset";

    /// <summary>For late records: the watermark (Unix ms, decimal) the event fell behind.</summary>
    public const string Watermark = "alerting-watermark";

    /// <summary>The reason code of events too far behind the watermark.</summary>
    public const string TooLateReason = "too_late";

    /// <summary>Messages are cut to this length so a header stays small.</summary>
    public const int MaxMessageChars = 512;

    /// <summary>
    /// For a value cut to <see cref="MaxForwardedBytes"/>: its original size in bytes (decimal). Only a truncated
    /// record carries it.
    /// </summary>
    public const string OriginalSize = "alerting-original-size";

    /// <summary>
    /// The largest value forwarded whole (512 KiB, well under Kafka's default 1 MB <c>message.max.bytes</c>): a larger
    /// one is forwarded cut to this size with <see cref="OriginalSize"/>, since the broker would refuse it whole and
    /// the record must neither disappear nor stop the pipeline.
    /// </summary>
    public const int MaxForwardedBytes = 512 * 1024;

    /// <summary>The reason of an alerts-topic record the dispatcher cannot read.</summary>
    public const string MalformedAlertReason = "malformed_alert";

    /// <summary>The reason of a work-orders-topic record the dispatcher cannot read.</summary>
    public const string MalformedWorkOrderReason = "malformed_work_order";

    /// <summary>The dead-letter record of a record a consumer other than the decoder rejected, with its own reason code.</summary>
    public static DeadLetterRecord ForRejected(byte[]? key, ReadOnlyMemory<byte> value, RecordOrigin origin, string reason, string message) =>
        Forwardable(key, value, Build(reason, message, origin, watermark: null));

    /// <summary>The dead-letter record of a record that failed to decode.</summary>
    public static DeadLetterRecord ForDecodeFailure(byte[]? key, ReadOnlyMemory<byte> value, RecordOrigin origin, DecodeError reason, string message) =>
        Forwardable(key, value, Build(reason.Code(), message, origin, watermark: null));

    /// <summary>The record with <paramref name="value"/> whole, or cut to <see cref="MaxForwardedBytes"/> with its original size in a header.</summary>
    private static DeadLetterRecord Forwardable(byte[]? key, ReadOnlyMemory<byte> value, KeyValuePair<string, byte[]>[] headers)
    {
        if (value.Length <= MaxForwardedBytes)
        {
            return new DeadLetterRecord(key, value, headers);
        }

        KeyValuePair<string, byte[]>[] withSize = [.. headers, new(OriginalSize, Encoding.UTF8.GetBytes(value.Length.ToString(CultureInfo.InvariantCulture)))];
        return new DeadLetterRecord(key, value[..MaxForwardedBytes], withSize);
    }

    /// <summary>The dead-letter record of a failed <see cref="DecodeResult"/>.</summary>
    public static DeadLetterRecord ForDecodeFailure(byte[]? key, ReadOnlyMemory<byte> value, RecordOrigin origin, in DecodeResult result)
    {
        if (result.IsOk)
        {
            throw new ArgumentException("the record decoded fine", nameof(result));
        }

        return ForDecodeFailure(key, value, origin, result.Error, result.Message ?? "");
    }

    /// <summary>The late-topic record of an event that arrived more than the allowed lateness behind <paramref name="watermark"/>; keyed by device.</summary>
    public static DeadLetterRecord ForTooLate(DeviceEvent ev, long watermark)
    {
        ArgumentNullException.ThrowIfNull(ev);
        var message = string.Create(CultureInfo.InvariantCulture,
            $"event time {ev.EventTime} is {watermark - ev.EventTime} ms behind the watermark {watermark}");
        return new DeadLetterRecord(Encoding.UTF8.GetBytes(ev.DeviceId), ev.Payload,
            Build(TooLateReason, message, new RecordOrigin(ev.Topic, ev.Partition, ev.Offset), watermark));
    }

    private static KeyValuePair<string, byte[]>[] Build(string reason, string message, RecordOrigin origin, long? watermark)
    {
        if (message.Length > MaxMessageChars)
        {
            message = message[..MaxMessageChars];
        }

        var headers = new List<KeyValuePair<string, byte[]>>(6)
        {
            new(Reason, Encoding.UTF8.GetBytes(reason)),
            new(Message, Encoding.UTF8.GetBytes(message)),
            new(SourceTopic, Encoding.UTF8.GetBytes(origin.Topic)),
            new(SourcePartition, Encoding.UTF8.GetBytes(origin.Partition.ToString(CultureInfo.InvariantCulture))),
            new(SourceOffset, Encoding.UTF8.GetBytes(origin.Offset.ToString(CultureInfo.InvariantCulture))),
        };
        if (watermark is { } wm)
        {
            headers.Add(new(Watermark, Encoding.UTF8.GetBytes(wm.ToString(CultureInfo.InvariantCulture))));
        }

        return headers.ToArray();
    }
}
