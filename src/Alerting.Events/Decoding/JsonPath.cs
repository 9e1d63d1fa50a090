using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Alerting.Events;

/// <summary>
/// A compiled path into a JSON document — dotted members and array indexes, e.g. <c>$.Param.Extra.code</c>,
/// <c>Param.Codes[2]</c> or <c>$['odd name'].x</c> — that reads one value from a record's raw payload.
/// Compile once (at rule compile time), read many times: reading walks the bytes with a
/// <see cref="Utf8JsonReader"/>, skipping what is off the path, and allocates only for string results.
/// A path that does not lead to a scalar (absent, null, object, array, unreadable) reads as
/// <see cref="FieldValue.Missing"/>.
/// </summary>
public sealed class JsonPath
{
    private readonly Segment[] _segments;

    private JsonPath(Segment[] segments, string text)
    {
        _segments = segments;
        Text = text;
    }

    /// <summary>The path in normal form, e.g. <c>$.Param.Extra.code</c>.</summary>
    public string Text { get; }

    /// <summary>True when every step is a member name (no index): such paths can be mapped as fields.</summary>
    public bool IsMembersOnly => _segments.All(s => s.Name is not null);

    /// <summary>The member names of a members-only path, in order.</summary>
    internal IReadOnlyList<string> MemberNames => _segments.Select(s => s.Name ?? throw new InvalidOperationException("path has an index")).ToArray();

    /// <summary>How many steps the path has (its nesting depth).</summary>
    public int Depth => _segments.Length;

    /// <summary>Compiles a path; throws <see cref="FormatException"/> naming the position of a syntax error.</summary>
    public static JsonPath Compile(string path)
    {
        if (!TryCompile(path, out var compiled, out var error))
        {
            throw new FormatException($"invalid JSON path '{path}': {error}");
        }

        return compiled;
    }

    /// <summary>Compiles a path, or gives the reason it is invalid.</summary>
    public static bool TryCompile(string path, out JsonPath compiled, out string error)
    {
        ArgumentNullException.ThrowIfNull(path);
        compiled = null!;
        var segments = new List<Segment>();
        var i = 0;
        var s = path.Trim();
        if (s.StartsWith('$'))
        {
            i = 1;
            if (i < s.Length && s[i] != '.' && s[i] != '[')
            {
                error = "expected '.' or '[' after '$'";
                return false;
            }
        }
        else if (s.Length > 0 && s[0] != '[')
        {
            s = "." + s; // "Param.ErrCode" is "$.Param.ErrCode"
        }

        while (i < s.Length)
        {
            if (s[i] == '.')
            {
                var start = ++i;
                while (i < s.Length && s[i] != '.' && s[i] != '[')
                {
                    i++;
                }

                if (i == start)
                {
                    error = $"empty member name at {start}";
                    return false;
                }

                segments.Add(Segment.Member(s[start..i]));
            }
            else if (s[i] == '[')
            {
                var close = s.IndexOf(']', i);
                if (close < 0)
                {
                    error = $"'[' at {i} is not closed";
                    return false;
                }

                var inner = s[(i + 1)..close].Trim();
                if (inner.Length >= 2 && (inner[0] == '\'' || inner[0] == '"') && inner[^1] == inner[0])
                {
                    if (inner.Length == 2)
                    {
                        error = $"empty member name at {i}";
                        return false;
                    }

                    segments.Add(Segment.Member(inner[1..^1]));
                }
                else if (int.TryParse(inner, NumberStyles.None, CultureInfo.InvariantCulture, out var index))
                {
                    segments.Add(Segment.Index(index));
                }
                else
                {
                    error = $"'[{inner}]' at {i} is neither an index nor a quoted name";
                    return false;
                }

                i = close + 1;
            }
            else
            {
                error = $"unexpected '{s[i]}' at {i}";
                return false;
            }
        }

        if (segments.Count == 0)
        {
            error = "the path selects no member";
            return false;
        }

        var text = new StringBuilder("$");
        foreach (var seg in segments)
        {
            if (seg.Name is null)
            {
                text.Append('[').Append(seg.ArrayIndex.ToString(CultureInfo.InvariantCulture)).Append(']');
            }
            else if (seg.Name.AsSpan().IndexOfAny(". []'\"") >= 0)
            {
                text.Append("['").Append(seg.Name).Append("']");
            }
            else
            {
                text.Append('.').Append(seg.Name);
            }
        }

        compiled = new JsonPath(segments.ToArray(), text.ToString());
        error = "";
        return true;
    }

    /// <summary>Reads the value at this path from an event's raw payload.</summary>
    public FieldValue Read(DeviceEvent ev)
    {
        ArgumentNullException.ThrowIfNull(ev);
        return Read(ev.Payload.Span);
    }

    /// <summary>Reads the value at this path from UTF-8 JSON bytes.</summary>
    public FieldValue Read(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read())
            {
                return FieldValue.Missing;
            }

            foreach (var seg in _segments)
            {
                if (!(seg.Name is null ? StepIndex(ref reader, seg.ArrayIndex) : StepMember(ref reader, seg.Utf8Name!)))
                {
                    return FieldValue.Missing;
                }
            }

            return ScalarOf(ref reader);
        }
        catch (JsonException)
        {
            return FieldValue.Missing;
        }
        catch (InvalidOperationException)
        {
            return FieldValue.Missing;
        }
    }

    public override string ToString() => Text;

    private static bool StepMember(ref Utf8JsonReader reader, byte[] name)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var match = reader.ValueIsEscaped ? reader.ValueTextEquals(name) : reader.ValueSpan.SequenceEqual(name);
            reader.Read();
            if (match)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    private static bool StepIndex(ref Utf8JsonReader reader, int index)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        for (var i = 0; reader.Read() && reader.TokenType != JsonTokenType.EndArray; i++)
        {
            if (i == index)
            {
                return true;
            }

            reader.Skip();
        }

        return false;
    }

    private static FieldValue ScalarOf(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number when reader.TryGetInt64(out var l) => FieldValue.FromInteger(l),
        JsonTokenType.Number when reader.TryGetDouble(out var d) && double.IsFinite(d) => FieldValue.FromNumber(d),
        JsonTokenType.String => FieldValue.FromString(reader.GetString()!),
        JsonTokenType.True => FieldValue.FromBoolean(true),
        JsonTokenType.False => FieldValue.FromBoolean(false),
        _ => FieldValue.Missing,
    };

    private readonly record struct Segment(string? Name, byte[]? Utf8Name, int ArrayIndex)
    {
        public static Segment Member(string name) => new(name, Encoding.UTF8.GetBytes(name), -1);
        public static Segment Index(int index) => new(null, null, index);
    }
}
