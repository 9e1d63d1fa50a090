using Npgsql;

namespace Alerting.Persistence.Postgres;

/// <summary>
/// Reads text columns of a bulk read without allocating a string per row when the value repeats: persistence ids
/// arrive grouped and manifests come from a handful of types, so most rows reuse a string already made.
/// </summary>
internal sealed class StringReuse
{
    private const int Remembered = 16;
    private readonly string?[] _recent = new string?[Remembered];
    private char[] _buffer = new char[128];
    private int _next;

    /// <summary>The column's value, as a string seen recently when equal to one.</summary>
    public string Read(NpgsqlDataReader reader, int ordinal)
    {
        var length = (int)reader.GetChars(ordinal, 0, null, 0, 0);
        if (_buffer.Length < length)
        {
            _buffer = new char[Math.Max(length, _buffer.Length * 2)];
        }
        var read = (int)reader.GetChars(ordinal, 0, _buffer, 0, length);
        var chars = _buffer.AsSpan(0, read);
        // Most recent first: the previous row's value is the likeliest match.
        for (var i = 0; i < Remembered; i++)
        {
            var candidate = _recent[(_next - 1 - i + Remembered) % Remembered];
            if (candidate is null)
            {
                break;
            }
            if (chars.SequenceEqual(candidate))
            {
                return candidate;
            }
        }
        var value = new string(chars);
        _recent[_next] = value;
        _next = (_next + 1) % Remembered;
        return value;
    }
}
