using System.Text;
using System.Text.Json;
using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>
/// A compiled JSON path (<c>$.Param.Code</c>, <c>$.items[0].id</c>) read straight from an event's UTF-8
/// payload with <see cref="Utf8JsonReader"/>, skipping what it does not need; no document is built.
/// </summary>
internal sealed class JsonPath
{
    private readonly byte[]?[] _names;
    private readonly int[] _indexes;

    private JsonPath(byte[]?[] names, int[] indexes)
    {
        _names = names;
        _indexes = indexes;
    }

    public static JsonPath Parse(string path, int line, int column)
    {
        var names = new List<byte[]?>();
        var indexes = new List<int>();
        var i = 1; // after '$'
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var start = ++i;
                while (i < path.Length && path[i] is not ('.' or '['))
                {
                    i++;
                }

                if (i == start)
                {
                    throw new RuleSyntaxException($"empty name in JSON path '{path}'", line, column);
                }

                names.Add(Encoding.UTF8.GetBytes(path[start..i]));
                indexes.Add(-1);
            }
            else if (path[i] == '[')
            {
                var close = path.IndexOf(']', i);
                if (close < 0 || !int.TryParse(path.AsSpan(i + 1, close - i - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
                {
                    throw new RuleSyntaxException($"bad array index in JSON path '{path}'", line, column);
                }

                names.Add(null);
                indexes.Add(index);
                i = close + 1;
            }
            else
            {
                throw new RuleSyntaxException($"unexpected '{path[i]}' in JSON path '{path}'", line, column);
            }
        }

        if (names.Count == 0)
        {
            throw new RuleSyntaxException("a JSON path needs at least one name", line, column);
        }

        return new JsonPath([.. names], [.. indexes]);
    }

    /// <summary>The value at the path, or <see cref="FieldValue.Missing"/> when absent, null, an object or an array.</summary>
    public FieldValue Read(ReadOnlyMemory<byte> payload)
    {
        if (payload.IsEmpty)
        {
            return FieldValue.Missing;
        }

        try
        {
            var reader = new Utf8JsonReader(payload.Span, new JsonReaderOptions { CommentHandling = JsonCommentHandling.Skip });
            if (!reader.Read())
            {
                return FieldValue.Missing;
            }

            for (var s = 0; s < _names.Length; s++)
            {
                if (!Descend(ref reader, _names[s], _indexes[s]))
                {
                    return FieldValue.Missing;
                }
            }

            return reader.TokenType switch
            {
                JsonTokenType.Number => reader.TryGetInt64(out var l) ? FieldValue.FromInteger(l) : FieldValue.FromNumber(reader.GetDouble()),
                JsonTokenType.String => FieldValue.FromString(reader.GetString()!),
                JsonTokenType.True => FieldValue.FromBoolean(true),
                JsonTokenType.False => FieldValue.FromBoolean(false),
                _ => FieldValue.Missing,
            };
        }
        catch (JsonException)
        {
            return FieldValue.Missing;
        }
    }

    // On entry the reader is at the container's start token; on success it is at the selected value's first token.
    private static bool Descend(ref Utf8JsonReader reader, byte[]? name, int index)
    {
        if (name is not null)
        {
            if (reader.TokenType != JsonTokenType.StartObject)
            {
                return false;
            }

            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var hit = reader.ValueTextEquals(name);
                reader.Read();
                if (hit)
                {
                    return true;
                }

                reader.Skip();
            }

            return false;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            return false;
        }

        for (var k = 0; ; k++)
        {
            if (!reader.Read() || reader.TokenType == JsonTokenType.EndArray)
            {
                return false;
            }

            if (k == index)
            {
                return true;
            }

            reader.Skip();
        }
    }
}
