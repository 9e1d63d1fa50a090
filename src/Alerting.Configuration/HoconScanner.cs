using System.Globalization;
using System.Text;

namespace Alerting.Configuration;

/// <summary>
/// One pass over a HOCON text before Akka's parser reads it, for what that parser does not do: it reports a
/// syntax error with the file, line and column (Akka's parser accepts much malformed text silently, and loops on
/// an unclosed array); it records where each value starts and whether it is a single quoted string (for
/// messages about values, as in rule files); and it resolves <c>${?NAME}</c> and <c>${NAME}</c> from the
/// environment when NAME is not a setting of the text (Akka's parser knows neither the environment nor
/// <c>${?…}</c>). It checks structure only; values are Akka's to read. Two more adaptations keep text that Akka's
/// parser mishandles meaning the same: a comma after an object written without separator
/// (<c>params { … }, enabled = false</c>) becomes a space (Akka refuses the comma there), and a <c>//</c> comment
/// becomes a <c>#</c> comment (Akka loops on <c>//</c> after a value).
/// </summary>
internal sealed class HoconScanner
{
    private const string Special = "{}[],\"#=:+$`^?!@*&\\";
    private readonly string _text;
    private readonly string _name;
    private readonly HashSet<string> _paths = new(StringComparer.Ordinal);
    private readonly List<Substitution> _substitutions = [];
    private readonly List<(int At, string Text)> _characterEdits = [];
    private int _pos;
    private int _line = 1;
    private int _column = 1;
    private bool _hasIncludes;

    public HoconScanner(string text, string name)
    {
        _text = text;
        _name = name;
    }

    /// <summary>Where each value starts (dotted path, array items by index) and whether it is one quoted string.</summary>
    public Dictionary<string, (HoconPosition Position, bool Quoted)> Values { get; } = new(StringComparer.Ordinal);

    /// <summary>Checks the structure; throws <see cref="HoconException"/> at the first syntax error.</summary>
    public void Scan()
    {
        SkipBlank(newlines: true);
        if (Peek() == '{')
        {
            var open = Here();
            Next();
            ScanFields("", '}', open);
        }
        else
        {
            ScanFields("", '\0', Here());
        }

        SkipBlank(newlines: true);
        if (_pos < _text.Length)
        {
            throw Error(Here(), $"unexpected '{Peek()}'");
        }
    }

    /// <summary>
    /// The text with every substitution that names no setting of the text replaced by the environment variable's
    /// value (quoted); an unset optional one removes its field (or is an empty string inside a concatenation).
    /// </summary>
    public string ResolveEnvironment(Func<string, string?> environment)
    {
        var edits = _characterEdits.Select(e => (Start: e.At, End: e.At + 1, e.Text)).ToList();
        foreach (var s in _substitutions)
        {
            if (_paths.Contains(s.Name) || (_hasIncludes && !s.Optional && environment(s.Name) is null))
            {
                edits.Add((s.Start, s.End, "${" + s.Name + "}"));
            }
            else if (environment(s.Name) is { } value)
            {
                edits.Add((s.Start, s.End, Quote(value)));
            }
            else if (!s.Optional)
            {
                throw Error(s.Position, $"${{{s.Name}}} is neither a setting of this file nor an environment variable");
            }
            else if (s.Alone)
            {
                edits.Add((s.FieldStart, s.ValueEnd, new string(' ', s.ValueEnd - s.FieldStart)));
            }
            else
            {
                edits.Add((s.Start, s.End, "\"\""));
            }
        }

        var output = new StringBuilder(_text.Length);
        var copied = 0;
        foreach (var (start, end, text) in edits.OrderBy(e => e.Start))
        {
            output.Append(_text, copied, start - copied).Append(text);
            copied = end;
        }

        return output.Append(_text, copied, _text.Length - copied).ToString();
    }

    /// <summary>The 1-based line and column of a character offset of the text.</summary>
    public HoconPosition PositionOf(int offset)
    {
        int line = 1, column = 1;
        for (var i = 0; i < offset && i < _text.Length; i++)
        {
            (line, column) = _text[i] == '\n' ? (line + 1, 1) : (line, column + 1);
        }

        return new HoconPosition(_name, line, column);
    }

    private void ScanFields(string prefix, char closer, HoconPosition open)
    {
        while (true)
        {
            SkipBlank(newlines: true);
            while (Peek() == ',')
            {
                Next();
                SkipBlank(newlines: true);
            }

            if (_pos >= _text.Length)
            {
                if (closer != '\0')
                {
                    throw Error(Here(), $"the object opened at line {open.Line}, column {open.Column} is never closed");
                }

                return;
            }

            var c = Peek();
            if (c == closer)
            {
                Next();
                return;
            }

            if (c is '}' or ']')
            {
                throw Error(Here(), $"unexpected '{c}'");
            }

            if (_text.AsSpan(_pos).StartsWith("include") && _pos + 7 < _text.Length && _text[_pos + 7] is ' ' or '\t')
            {
                Advance(7);
                SkipBlank(newlines: false);
                if (Peek() != '"')
                {
                    throw Error(Here(), "include takes a quoted file name");
                }

                ReadQuoted();
                _hasIncludes = true;
                continue;
            }

            var fieldStart = _pos;
            var keyAt = Here();
            var key = ReadKey();
            var path = prefix.Length == 0 ? key : prefix + "." + key;
            AddPaths(path);
            SkipBlank(newlines: false);
            c = Peek();
            if (c is '=' or ':')
            {
                Next();
                SkipBlank(newlines: false);
            }
            else if (c == '+' && Peek(1) == '=')
            {
                throw Error(Here(), "'+=' is not supported (Akka's HOCON): write the whole array");
            }
            else if (c != '{')
            {
                throw Error(_pos < _text.Length ? Here() : keyAt, $"expected '=', ':' or '{{' after the key '{path}'");
            }

            ScanValue(path, fieldStart);
            if (c == '{' && Peek() == ',')
            {
                _characterEdits.Add((_pos, " "));
            }
        }
    }

    private void ScanValue(string path, int fieldStart)
    {
        var at = Here();
        var own = new List<int>();
        var tokens = 0;
        var quoted = false;
        var end = _pos;
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c == '{')
            {
                var open = Here();
                Next();
                ScanFields(path, '}', open);
            }
            else if (c == '[')
            {
                ScanArray(path);
            }
            else if (c == '"')
            {
                ReadQuoted();
                quoted = tokens == 0;
            }
            else if (c == '$' && Peek(1) == '{')
            {
                own.Add(_substitutions.Count);
                ReadSubstitution(fieldStart);
            }
            else if ((IsUnquoted(c) || c == ':') && !IsCommentStart())
            {
                while (_pos < _text.Length && (IsUnquoted(Peek()) || Peek() == ':') && !IsCommentStart())
                {
                    Next();
                }

                quoted = false;
            }
            else
            {
                break;
            }

            tokens++;
            end = _pos;
            SkipSpaces();
        }

        if (tokens == 0)
        {
            throw Error(_pos < _text.Length ? Here() : at, $"'{path}' has no value");
        }

        var next = Peek();
        if (_pos < _text.Length && next is not ('\n' or '\r' or ',' or '}' or ']' or '#') && !IsCommentStart())
        {
            throw Error(Here(), $"unexpected '{next}' after the value of '{path}'");
        }

        Values[path] = (at, quoted && tokens == 1);
        foreach (var i in own)
        {
            _substitutions[i] = _substitutions[i] with { Alone = tokens == 1 && fieldStart >= 0, ValueEnd = end };
        }
    }

    private void ScanArray(string path)
    {
        var open = Here();
        Next();
        for (var index = 0; ; index++)
        {
            SkipBlank(newlines: true);
            if (_pos >= _text.Length)
            {
                throw Error(Here(), $"the array opened at line {open.Line}, column {open.Column} is never closed");
            }

            var c = Peek();
            if (c == ']')
            {
                Next();
                return;
            }

            if (c is '}' or ',')
            {
                throw Error(Here(), $"unexpected '{c}' in the array opened at line {open.Line}, column {open.Column}");
            }

            var item = path + "." + index.ToString(CultureInfo.InvariantCulture);
            AddPaths(item);
            ScanValue(item, -1);
            SkipBlank(newlines: true);
            if (Peek() == ',')
            {
                Next();
            }
        }
    }

    private string ReadKey()
    {
        var key = new StringBuilder();
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c == '"')
            {
                key.Append(ReadQuoted());
            }
            else if (c == '.' || (IsUnquoted(c) && !IsCommentStart()))
            {
                key.Append(c);
                Next();
            }
            else
            {
                break;
            }
        }

        return key.Length > 0 && key[0] != '.' && key[^1] != '.' && !key.ToString().Contains("..", StringComparison.Ordinal)
            ? key.ToString()
            : throw Error(Here(), _pos < _text.Length ? $"expected a key, found '{Peek()}'" : "expected a key");
    }

    private string ReadQuoted()
    {
        var open = Here();
        if (_text.AsSpan(_pos).StartsWith("\"\"\""))
        {
            var close = _text.IndexOf("\"\"\"", _pos + 3, StringComparison.Ordinal);
            if (close < 0)
            {
                throw Error(open, "the triple-quoted string is never closed");
            }

            while (close + 3 < _text.Length && _text[close + 3] == '"')
            {
                close++;
            }

            var content = _text[(_pos + 3)..close];
            Advance(close + 3 - _pos);
            return content;
        }

        var value = new StringBuilder();
        Next();
        while (true)
        {
            if (_pos >= _text.Length || Peek() is '\n' or '\r')
            {
                throw Error(open, "the quoted string is not closed on its line");
            }

            var c = Next();
            if (c == '"')
            {
                return value.ToString();
            }

            if (c == '\\')
            {
                if (_pos >= _text.Length)
                {
                    throw Error(open, "the quoted string is not closed on its line");
                }

                value.Append(Next());
            }
            else
            {
                value.Append(c);
            }
        }
    }

    private void ReadSubstitution(int fieldStart)
    {
        var at = Here();
        var start = _pos;
        Advance(2);
        var optional = Peek() == '?';
        if (optional)
        {
            Next();
        }

        var close = _text.IndexOfAny(['}', '\n'], _pos);
        if (close < 0 || _text[close] != '}')
        {
            throw Error(at, "the substitution is never closed");
        }

        var name = _text[_pos..close].Trim();
        if (name.Length == 0)
        {
            throw Error(at, "empty substitution");
        }

        Advance(close + 1 - _pos);
        _substitutions.Add(new Substitution(at, start, _pos, name, optional, fieldStart));
    }

    private void AddPaths(string path)
    {
        for (var dot = path.IndexOf('.', StringComparison.Ordinal); dot >= 0; dot = path.IndexOf('.', dot + 1))
        {
            _paths.Add(path[..dot]);
        }

        _paths.Add(path);
    }

    private void SkipBlank(bool newlines)
    {
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c is ' ' or '\t' or '\uFEFF' || (newlines && c is '\n' or '\r'))
            {
                Next();
            }
            else if (c == '#' || IsCommentStart())
            {
                if (c == '/')
                {
                    _characterEdits.Add((_pos, "#"));
                }

                while (_pos < _text.Length && Peek() != '\n')
                {
                    Next();
                }
            }
            else
            {
                return;
            }
        }
    }

    private void SkipSpaces()
    {
        while (_pos < _text.Length && Peek() is ' ' or '\t')
        {
            Next();
        }
    }

    private bool IsCommentStart() => Peek() == '/' && Peek(1) == '/';

    private static bool IsUnquoted(char c) => !char.IsWhiteSpace(c) && !Special.Contains(c, StringComparison.Ordinal);

    private static string Quote(string value)
    {
        var quoted = new StringBuilder("\"", value.Length + 2);
        foreach (var c in value)
        {
            _ = c switch
            {
                '"' => quoted.Append("\\\""),
                '\\' => quoted.Append("\\\\"),
                '\n' => quoted.Append("\\n"),
                '\r' => quoted.Append("\\r"),
                '\t' => quoted.Append("\\t"),
                _ => quoted.Append(c),
            };
        }

        return quoted.Append('"').ToString();
    }

    private char Peek(int ahead = 0) => _pos + ahead < _text.Length ? _text[_pos + ahead] : '\0';

    private char Next()
    {
        var c = _text[_pos++];
        (_line, _column) = c == '\n' ? (_line + 1, 1) : (_line, _column + 1);
        return c;
    }

    private void Advance(int count)
    {
        for (var i = 0; i < count; i++)
        {
            Next();
        }
    }

    private HoconPosition Here() => new(_name, _line, _column);

    private static HoconException Error(HoconPosition at, string detail) => new(at, detail);

    private sealed record Substitution(HoconPosition Position, int Start, int End, string Name, bool Optional, int FieldStart)
    {
        public bool Alone { get; init; }

        public int ValueEnd { get; init; }
    }
}
