using System.Globalization;

namespace Alerting.Kafka.Messages;

/// <summary>
/// A consumer's position in a partition moved by the broker's answer rather than by the reader: the offset it fetched
/// from was no longer (or not yet) in the log, most often because retention deleted records not yet read, and
/// <c>auto.offset.reset</c> moved it to <see cref="To"/>. Records between <see cref="From"/> and <see cref="To"/> were
/// never read: data loss for a stream that has to see every record.
/// </summary>
/// <param name="Topic">The topic.</param>
/// <param name="Partition">The partition.</param>
/// <param name="From">The offset the consumer fetched from.</param>
/// <param name="To">The offset it was moved to.</param>
public sealed record OffsetReset(string Topic, int Partition, long From, long To)
{
    /// <summary>Records passed over: <c>To − From</c> when the reset moved forward, else 0 (records read again).</summary>
    public long Skipped => Math.Max(0, To - From);

    /// <summary>
    /// Reads librdkafka's log line of an offset reset (facility <c>OFFSET</c>, logged at warning level when a fetch
    /// finds its offset out of range), e.g. <c>[thrd:main]: t [2]: offset reset (at offset 36772 (leader epoch 0), broker 1) to
    /// cached BEGINNING offset offset 36773 (leader epoch -1): fetch failed due to requested offset not available on
    /// the broker: Broker: Offset out of range</c>. False for any other line.
    /// </summary>
    public static bool TryParse(string facility, string message, out OffsetReset? reset)
    {
        reset = null;
        if (!string.Equals(facility, "OFFSET", StringComparison.Ordinal) || message is null)
        {
            return false;
        }

        // "[thrd:..]: <topic> [<partition>]: offset reset (at offset <from>..., broker <id>) to <where> offset <to> ...: <reason>"
        const string Marker = "]: offset reset (at offset ";
        var marker = message.IndexOf(Marker, StringComparison.Ordinal);
        var open = marker < 0 ? -1 : message.LastIndexOf(" [", marker, StringComparison.Ordinal);
        if (open <= 0
            || !int.TryParse(message.AsSpan(open + 2, marker - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out var partition)
            || !TryNumberAt(message, marker + Marker.Length, out var from, out var end))
        {
            return false;
        }

        var to = message.IndexOf(" to ", end, StringComparison.Ordinal);
        var colon = to < 0 ? -1 : message.IndexOf(": ", to, StringComparison.Ordinal);
        var offset = to < 0 ? -1 : message.LastIndexOf("offset ", colon < 0 ? message.Length - 1 : colon, StringComparison.Ordinal);
        if (offset < to || !TryNumberAt(message, offset + "offset ".Length, out var target, out _))
        {
            return false;
        }

        var topic = message.LastIndexOf(' ', open - 1) + 1; // after librdkafka's "[thrd:main]: " (topic names have no spaces)
        reset = new OffsetReset(message[topic..open], partition, from, target);
        return true;
    }

    private static bool TryNumberAt(string text, int start, out long value, out int end)
    {
        end = start;
        if (end < text.Length && text[end] == '-')
        {
            end++;
        }

        while (end < text.Length && char.IsAsciiDigit(text[end]))
        {
            end++;
        }

        return long.TryParse(text.AsSpan(start, end - start), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);
    }
}

/// <summary>Offset resets of a consumer and the records they passed over, counted (thread-safe), for metrics.</summary>
public sealed class OffsetResetCounter
{
    private long _resets;
    private long _skipped;

    /// <summary>Offset resets seen.</summary>
    public long Resets => Interlocked.Read(ref _resets);

    /// <summary>Records they passed over unread.</summary>
    public long Skipped => Interlocked.Read(ref _skipped);

    /// <summary>Counts <paramref name="reset"/> (a consumer's <see cref="Settings.ConsumerSettings{TKey,TValue}.WithOffsetResetHandler"/>).</summary>
    public void Count(OffsetReset reset)
    {
        ArgumentNullException.ThrowIfNull(reset);
        Interlocked.Increment(ref _resets);
        Interlocked.Add(ref _skipped, reset.Skipped);
    }
}
