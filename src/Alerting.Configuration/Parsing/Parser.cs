using System.Globalization;
using System.Text;

namespace Alerting.Configuration.Parsing;

/// <summary>Recursive-descent parser from tokens to <see cref="AstObject"/>; every error names the offending token's position.</summary>
internal sealed class Parser
{
    private readonly List<Token> _tokens;
    private int _index;

    private Parser(List<Token> tokens)
    {
        _tokens = tokens;
    }

    private Token Current => _tokens[_index];

    public static AstObject ParseDocument(string text, string file)
    {
        var parser = new Parser(Lexer.Tokenize(text, file));
        parser.SkipWhitespaceAndNewlines();
        var first = parser.Current;
        if (first.Kind == TokenKind.LeftBracket)
        {
            throw new HoconParseException(first.Position, "the root of a HOCON document must be an object, not an array");
        }

        if (first.Kind != TokenKind.LeftBrace)
        {
            return parser.ParseObjectBody(first.Position, braced: false);
        }

        parser._index++;
        var root = parser.ParseObjectBody(first.Position, braced: true);
        parser.SkipWhitespaceAndNewlines();
        if (parser.Current.Kind != TokenKind.Eof)
        {
            throw Unexpected(parser.Current, "end of file after the root object");
        }

        return root;
    }

    private static HoconParseException Unexpected(Token token, string expected) =>
        new(token.Position, $"expected {expected}, but found {token.Describe()}");

    private void SkipWhitespace()
    {
        while (Current.Kind == TokenKind.Whitespace)
        {
            _index++;
        }
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Current.Kind is TokenKind.Whitespace or TokenKind.Newline)
        {
            _index++;
        }
    }

    private Token PeekPastWhitespace()
    {
        var i = _index + 1;
        while (_tokens[i].Kind == TokenKind.Whitespace)
        {
            i++;
        }

        return _tokens[i];
    }

    private AstObject ParseObjectBody(HoconPosition open, bool braced)
    {
        var statements = new List<AstStatement>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Current;
            if (token.Kind == TokenKind.RightBrace)
            {
                if (!braced)
                {
                    throw new HoconParseException(token.Position, "unexpected '}': there is no open object to close");
                }

                _index++;
                return new AstObject(open, statements);
            }

            if (token.Kind == TokenKind.Eof)
            {
                if (braced)
                {
                    throw Unexpected(token, $"'}}' to close the object opened at line {open.Line}, column {open.Column}");
                }

                return new AstObject(open, statements);
            }

            statements.Add(IsInclude() ? ParseInclude() : ParseField());

            SkipWhitespace();
            token = Current;
            if (token.Kind == TokenKind.Comma)
            {
                _index++;
            }
            else if (token.Kind is not (TokenKind.Newline or TokenKind.RightBrace or TokenKind.Eof))
            {
                throw Unexpected(token, "',' or a new line after the value");
            }
        }
    }

    private bool IsInclude()
    {
        if (Current is not { Kind: TokenKind.Unquoted, Text: "include" } || _tokens[_index + 1].Kind != TokenKind.Whitespace)
        {
            return false;
        }

        var next = PeekPastWhitespace();
        return next.Kind == TokenKind.Quoted
            || (next.Kind == TokenKind.Unquoted && next.Text.Contains('(', StringComparison.Ordinal));
    }

    private AstInclude ParseInclude()
    {
        var keyword = Current;
        _index++;
        SkipWhitespace();
        var prefix = new StringBuilder();
        var suffix = new StringBuilder();
        Token? name = null;
        while (Current.Kind is TokenKind.Unquoted or TokenKind.Quoted or TokenKind.Whitespace)
        {
            var token = Current;
            if (token.Kind == TokenKind.Quoted)
            {
                if (name is not null)
                {
                    throw new HoconParseException(token.Position, "an include takes one file name");
                }

                name = token;
            }
            else if (token.Kind == TokenKind.Unquoted)
            {
                (name is null ? prefix : suffix).Append(token.Text);
            }

            _index++;
        }

        var form = prefix.ToString();
        if (form.Contains("url(", StringComparison.Ordinal) || form.Contains("classpath(", StringComparison.Ordinal))
        {
            throw new HoconParseException(keyword.Position, "only file includes are supported: include \"name\", include file(\"name\") or include required(file(\"name\"))");
        }

        var closing = new string(')', form.Count(c => c == '('));
        if (name is null || form is not ("" or "file(" or "required(" or "required(file(") || suffix.ToString() != closing)
        {
            throw new HoconParseException(keyword.Position, "malformed include: expected include \"name\", include file(\"name\") or include required(file(\"name\"))");
        }

        return new AstInclude(name.Position, name.Text);
    }

    private AstField ParseField()
    {
        var (path, keyPosition) = ParseKey();
        var token = Current;
        var append = false;
        switch (token.Kind)
        {
            case TokenKind.Separator:
                _index++;
                break;
            case TokenKind.PlusEquals:
                append = true;
                _index++;
                break;
            case TokenKind.LeftBrace:
                break;
            default:
                throw Unexpected(token, $"':', '=' or '{{' after the key '{HoconPath.Join(path)}'");
        }

        SkipWhitespaceAndNewlines();
        var value = ParseValue();
        return new AstField(keyPosition, path, value, append);
    }

    private (IReadOnlyList<string> Path, HoconPosition Position) ParseKey()
    {
        var start = Current;
        var elements = new List<string>();
        var current = new StringBuilder();
        var hasContent = false;
        string? pendingWhitespace = null;
        var any = false;
        while (true)
        {
            var token = Current;
            if (token.Kind == TokenKind.Whitespace)
            {
                pendingWhitespace = token.Text;
                _index++;
                continue;
            }

            if (token.Kind is not (TokenKind.Unquoted or TokenKind.Quoted))
            {
                break;
            }

            if (pendingWhitespace is not null && any)
            {
                current.Append(pendingWhitespace);
            }

            pendingWhitespace = null;
            any = true;
            _index++;
            if (token.Kind == TokenKind.Quoted)
            {
                current.Append(token.Text);
                hasContent = true;
                continue;
            }

            foreach (var c in token.Text)
            {
                if (c != '.')
                {
                    current.Append(c);
                    hasContent = true;
                    continue;
                }

                if (!hasContent)
                {
                    throw new HoconParseException(token.Position, $"invalid key '{token.Text}': empty path element (quote keys that contain dots)");
                }

                elements.Add(current.ToString());
                current.Clear();
                hasContent = false;
            }
        }

        if (!any)
        {
            throw Unexpected(start, "a key");
        }

        if (!hasContent)
        {
            throw new HoconParseException(start.Position, "invalid key: it ends with '.'");
        }

        elements.Add(current.ToString());
        return (elements, start.Position);
    }

    private AstValue ParseValue()
    {
        var pieces = new List<AstValue>();
        Token? pendingWhitespace = null;
        while (true)
        {
            var token = Current;
            AstValue piece;
            switch (token.Kind)
            {
                case TokenKind.Whitespace:
                    pendingWhitespace = token;
                    _index++;
                    continue;
                case TokenKind.Unquoted:
                    _index++;
                    piece = new AstScalar(token.Position, token.Text, Classify(token.Text));
                    break;
                case TokenKind.Quoted:
                    _index++;
                    piece = new AstScalar(token.Position, token.Text, HoconScalarKind.String);
                    break;
                case TokenKind.Substitution:
                    _index++;
                    piece = new AstSubstitution(token.Position, token.Text, token.Path, token.Optional);
                    break;
                case TokenKind.LeftBrace:
                    _index++;
                    piece = ParseObjectBody(token.Position, braced: true);
                    break;
                case TokenKind.LeftBracket:
                    _index++;
                    piece = ParseArray(token.Position);
                    break;
                default:
                    if (pieces.Count == 0)
                    {
                        throw Unexpected(token, "a value");
                    }

                    return pieces.Count == 1 ? pieces[0] : new AstConcatenation(pieces[0].Position, pieces);
            }

            if (pendingWhitespace is not null && pieces.Count > 0)
            {
                pieces.Add(new AstWhitespace(pendingWhitespace.Position, pendingWhitespace.Text));
            }

            pendingWhitespace = null;
            pieces.Add(piece);
        }
    }

    private AstArray ParseArray(HoconPosition open)
    {
        var items = new List<AstValue>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            var token = Current;
            if (token.Kind == TokenKind.RightBracket)
            {
                _index++;
                return new AstArray(open, items);
            }

            if (token.Kind == TokenKind.Eof)
            {
                throw Unexpected(token, $"']' to close the array opened at line {open.Line}, column {open.Column}");
            }

            items.Add(ParseValue());
            SkipWhitespace();
            token = Current;
            if (token.Kind == TokenKind.Comma)
            {
                _index++;
            }
            else if (token.Kind is not (TokenKind.Newline or TokenKind.RightBracket or TokenKind.Eof))
            {
                throw Unexpected(token, "',' or ']' after an array item");
            }
        }
    }

    private static HoconScalarKind Classify(string text)
    {
        if (text is "null")
        {
            return HoconScalarKind.Null;
        }

        if (text is "true" or "false")
        {
            return HoconScalarKind.Boolean;
        }

        var first = text[0] is '-' or '+' && text.Length > 1 ? text[1] : text[0];
        return char.IsAsciiDigit(first)
            && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _)
            ? HoconScalarKind.Number
            : HoconScalarKind.String;
    }
}
