using System.Text;
using System.Text.Json;

namespace Alerting.Events;

/// <summary>
/// Interns event kinds: the few distinct kind strings (Fault, Recover, …) are allocated once and then
/// recognised from their UTF-8 bytes. With declared kinds, anything else is unknown (null); without, new
/// kinds are added copy-on-write up to a bound, after which they are allocated per event.
/// </summary>
internal sealed class KindTable
{
    private const int MaxLearned = 256;
    private readonly bool _closed;
    private Entry[] _entries;

    public KindTable(IReadOnlyList<string> declared)
    {
        _closed = declared.Count > 0;
        _entries = declared.Distinct(StringComparer.Ordinal).Select(k => new Entry(Encoding.UTF8.GetBytes(k), string.Intern(k))).ToArray();
    }

    /// <summary>The interned kind of the current string token, or null when the kinds are declared and it is none of them.</summary>
    public string? Intern(ref Utf8JsonReader reader)
    {
        var entries = Volatile.Read(ref _entries);
        if (!reader.ValueIsEscaped)
        {
            var span = reader.ValueSpan;
            foreach (var e in entries)
            {
                if (span.SequenceEqual(e.Utf8))
                {
                    return e.Text;
                }
            }
        }
        else
        {
            foreach (var e in entries)
            {
                if (reader.ValueTextEquals(e.Utf8))
                {
                    return e.Text;
                }
            }
        }

        if (_closed)
        {
            return null;
        }

        var text = reader.GetString()!;
        if (entries.Length < MaxLearned)
        {
            var grown = new Entry[entries.Length + 1];
            entries.CopyTo(grown, 0);
            grown[^1] = new Entry(Encoding.UTF8.GetBytes(text), text);
            Interlocked.CompareExchange(ref _entries, grown, entries);
        }

        return text;
    }

    private sealed record Entry(byte[] Utf8, string Text);
}
