using System.Globalization;
using System.Text;

namespace Alerting.Configuration.Parsing;

/// <summary>
/// Turns HOCON text into tokens, each with its line and column. Comments (<c>#</c>, <c>//</c>) are dropped;
/// newlines and whitespace are kept because they separate fields and take part in value concatenation.
/// </summary>
internal sealed class Lexer
{
    private const string Forbidden = "$\"{}[]:=,#`^?!@*&\\";

    private readonly string _text;
    private readonly string _file;
    private int _pos;
    private int _line = 1;
    private int _column = 1;

    private Lexer(string text, string file)
    {
        _text = text;
        _file = file;
    }

    private bool AtEnd => _pos >= _text.Length;

    private HoconPosition Here => new(_file, _line, _column);

    public static List<Token> Tokenize(string text, string file) => new Lexer(text, file).Run();

    private static bool IsWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private static bool IsUnquotedChar(char c) => !IsWhitespace(c) && c != '\n' && !Forbidden.Contains(c, StringComparison.Ordinal);

    private char Peek(int offset = 0) => _pos + offset < _text.Length ? _text[_pos + offset] : '\0';

    private char Advance()
    {
        var c = _text[_pos++];
        if (c == '\n')
        {
            _line++;
            _column = 1;
        }
        else
        {
            _column++;
        }

        return c;
    }

    private List<Token> Run()
    {
        var tokens = new List<Token>();
        while (!AtEnd)
        {
            var start = Here;
            var c = Peek();
            if (c == '\n')
            {
                Advance();
                tokens.Add(new Token(TokenKind.Newline, "\n", start));
            }
            else if (IsWhitespace(c))
            {
                var sb = new StringBuilder();
                while (!AtEnd && IsWhitespace(Peek()))
                {
                    sb.Append(Advance());
                }

                tokens.Add(new Token(TokenKind.Whitespace, sb.ToString(), start));
            }
            else if (c == '#' || (c == '/' && Peek(1) == '/'))
            {
                while (!AtEnd && Peek() != '\n')
                {
                    Advance();
                }
            }
            else if (c == '+' && Peek(1) == '=')
            {
                Advance();
                Advance();
                tokens.Add(new Token(TokenKind.PlusEquals, "+=", start));
            }
            else if (c == '"')
            {
                tokens.Add(new Token(TokenKind.Quoted, ReadQuoted(start), start));
            }
            else if (c == '$')
            {
                tokens.Add(ReadSubstitution(start));
            }
            else if (Single(c) is { } kind)
            {
                Advance();
                tokens.Add(new Token(kind, c.ToString(), start));
            }
            else if (Forbidden.Contains(c, StringComparison.Ordinal))
            {
                throw new HoconParseException(start, $"unexpected character '{c}' (quote the value if it is part of a string)");
            }
            else
            {
                var sb = new StringBuilder();
                while (!AtEnd && IsUnquotedChar(Peek()) && !(Peek() == '/' && Peek(1) == '/') && !(Peek() == '+' && Peek(1) == '='))
                {
                    sb.Append(Advance());
                }

                tokens.Add(new Token(TokenKind.Unquoted, sb.ToString(), start));
            }
        }

        tokens.Add(new Token(TokenKind.Eof, string.Empty, Here));
        return tokens;
    }

    private static TokenKind? Single(char c) => c switch
    {
        '{' => TokenKind.LeftBrace,
        '}' => TokenKind.RightBrace,
        '[' => TokenKind.LeftBracket,
        ']' => TokenKind.RightBracket,
        ',' => TokenKind.Comma,
        ':' or '=' => TokenKind.Separator,
        _ => null,
    };

    private string ReadQuoted(HoconPosition start)
    {
        Advance();
        if (Peek() == '"' && Peek(1) == '"')
        {
            Advance();
            Advance();
            return ReadTripleQuoted(start);
        }

        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || Peek() == '\n')
            {
                throw new HoconParseException(start, "unterminated string: missing closing '\"' before the end of the line");
            }

            var escapeStart = Here;
            var c = Advance();
            if (c == '"')
            {
                return sb.ToString();
            }

            if (c != '\\')
            {
                sb.Append(c);
                continue;
            }

            var e = AtEnd ? '\0' : Advance();
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    var hex = _pos + 4 <= _text.Length ? _text.Substring(_pos, 4) : string.Empty;
                    if (!ushort.TryParse(hex, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var code))
                    {
                        throw new HoconParseException(escapeStart, "invalid \\u escape: expected four hex digits");
                    }

                    for (var i = 0; i < 4; i++)
                    {
                        Advance();
                    }

                    sb.Append((char)code);
                    break;
                default:
                    throw new HoconParseException(escapeStart, $"invalid escape '\\{e}' in a quoted string");
            }
        }
    }

    private string ReadTripleQuoted(HoconPosition start)
    {
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd)
            {
                throw new HoconParseException(start, "unterminated triple-quoted string: missing closing '\"\"\"'");
            }

            if (Peek() == '"' && Peek(1) == '"' && Peek(2) == '"')
            {
                // The string ends at the last three quotes of a run: """a"""" is a" (HOCON spec).
                var run = 0;
                while (Peek(run) == '"')
                {
                    run++;
                }

                sb.Append('"', run - 3);
                for (var i = 0; i < run; i++)
                {
                    Advance();
                }

                return sb.ToString();
            }

            sb.Append(Advance());
        }
    }

    private Token ReadSubstitution(HoconPosition start)
    {
        if (Peek(1) != '{')
        {
            throw new HoconParseException(start, "'$' must start a substitution such as ${path} (quote it if it is part of a string)");
        }

        Advance();
        Advance();
        var optional = false;
        if (Peek() == '?')
        {
            Advance();
            optional = true;
        }

        var elements = new List<string>();
        var current = new StringBuilder();
        var hasContent = false;
        while (true)
        {
            if (AtEnd || Peek() == '\n')
            {
                throw new HoconParseException(start, "unterminated substitution: missing '}'");
            }

            var c = Peek();
            if (c == '}')
            {
                Advance();
                break;
            }

            if (c == '"')
            {
                var quotedStart = Here;
                current.Append(ReadQuoted(quotedStart));
                hasContent = true;
            }
            else if (c == '.')
            {
                Advance();
                if (!hasContent)
                {
                    throw new HoconParseException(start, "invalid substitution path: empty path element");
                }

                elements.Add(current.ToString());
                current.Clear();
                hasContent = false;
            }
            else if (IsWhitespace(c))
            {
                Advance();
            }
            else if (Forbidden.Contains(c, StringComparison.Ordinal))
            {
                throw new HoconParseException(Here, $"unexpected character '{c}' in a substitution path");
            }
            else
            {
                current.Append(Advance());
                hasContent = true;
            }
        }

        if (!hasContent)
        {
            throw new HoconParseException(start, "invalid substitution path: empty path element");
        }

        elements.Add(current.ToString());
        var text = (optional ? "${?" : "${") + HoconPath.Join(elements) + "}";
        return new Token(TokenKind.Substitution, text, start) { Path = elements, Optional = optional };
    }
}
