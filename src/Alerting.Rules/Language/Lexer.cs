using System.Globalization;
using System.Text;

namespace Alerting.Rules.Language;

internal enum TokenKind
{
    End,
    Identifier,
    JsonPath,
    Integer,
    Number,
    String,
    Duration,
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    Dot,
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Line, int Column, long IntValue = 0, double NumberValue = 0)
{
    public bool IsWord(string word) => Kind == TokenKind.Identifier && string.Equals(Text, word, StringComparison.Ordinal);

    public override string ToString() => Kind switch
    {
        TokenKind.End => "end of rule",
        TokenKind.String => $"\"{Text}\"",
        _ => $"'{Text}'",
    };
}

/// <summary>Splits rule text into tokens; <c>#</c> and <c>//</c> start comments to the end of the line.</summary>
internal static class Lexer
{
    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var line = 1;
        var lineStart = 0;
        var i = 0;
        while (true)
        {
            // skip blanks and comments
            while (i < text.Length)
            {
                var c = text[i];
                if (c == '\n')
                {
                    line++;
                    i++;
                    lineStart = i;
                }
                else if (char.IsWhiteSpace(c))
                {
                    i++;
                }
                else if (c == '#' || (c == '/' && i + 1 < text.Length && text[i + 1] == '/'))
                {
                    while (i < text.Length && text[i] != '\n')
                    {
                        i++;
                    }
                }
                else
                {
                    break;
                }
            }

            var col = i - lineStart + 1;
            if (i >= text.Length)
            {
                tokens.Add(new Token(TokenKind.End, "", line, col));
                return tokens;
            }

            var ch = text[i];
            var start = i;
            switch (ch)
            {
                case '(': tokens.Add(new Token(TokenKind.LParen, "(", line, col)); i++; continue;
                case ')': tokens.Add(new Token(TokenKind.RParen, ")", line, col)); i++; continue;
                case '[': tokens.Add(new Token(TokenKind.LBracket, "[", line, col)); i++; continue;
                case ']': tokens.Add(new Token(TokenKind.RBracket, "]", line, col)); i++; continue;
                case ',': tokens.Add(new Token(TokenKind.Comma, ",", line, col)); i++; continue;
                case ':': tokens.Add(new Token(TokenKind.Colon, ":", line, col)); i++; continue;
                case '.': tokens.Add(new Token(TokenKind.Dot, ".", line, col)); i++; continue;
                case '=':
                    i += i + 1 < text.Length && text[i + 1] == '=' ? 2 : 1;
                    tokens.Add(new Token(TokenKind.Eq, "=", line, col));
                    continue;
                case '!':
                    if (i + 1 < text.Length && text[i + 1] == '=')
                    {
                        tokens.Add(new Token(TokenKind.NotEq, "!=", line, col));
                        i += 2;
                        continue;
                    }

                    throw new RuleSyntaxException("'!' must be followed by '=' (write 'not' for negation)", line, col);
                case '<':
                    if (i + 1 < text.Length && text[i + 1] == '=')
                    {
                        tokens.Add(new Token(TokenKind.LtEq, "<=", line, col));
                        i += 2;
                    }
                    else
                    {
                        tokens.Add(new Token(TokenKind.Lt, "<", line, col));
                        i++;
                    }

                    continue;
                case '>':
                    if (i + 1 < text.Length && text[i + 1] == '=')
                    {
                        tokens.Add(new Token(TokenKind.GtEq, ">=", line, col));
                        i += 2;
                    }
                    else
                    {
                        tokens.Add(new Token(TokenKind.Gt, ">", line, col));
                        i++;
                    }

                    continue;
                case '"':
                    tokens.Add(ReadString(text, ref i, line, col));
                    continue;
                case '$':
                    tokens.Add(ReadJsonPath(text, ref i, line, col));
                    continue;
            }

            if (char.IsAsciiDigit(ch) || (ch == '-' && i + 1 < text.Length && char.IsAsciiDigit(text[i + 1])))
            {
                tokens.Add(ReadNumber(text, ref i, line, col));
                continue;
            }

            if (char.IsAsciiLetter(ch) || ch == '_')
            {
                while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] == '_'))
                {
                    i++;
                }

                tokens.Add(new Token(TokenKind.Identifier, text[start..i], line, col));
                continue;
            }

            throw new RuleSyntaxException($"unexpected character '{ch}'", line, col);
        }
    }

    private static Token ReadString(string text, ref int i, int line, int col)
    {
        var sb = new StringBuilder();
        i++;
        while (true)
        {
            if (i >= text.Length || text[i] == '\n')
            {
                throw new RuleSyntaxException("unterminated string", line, col);
            }

            var c = text[i++];
            if (c == '"')
            {
                return new Token(TokenKind.String, sb.ToString(), line, col);
            }

            if (c == '\\')
            {
                if (i >= text.Length)
                {
                    throw new RuleSyntaxException("unterminated string", line, col);
                }

                var e = text[i++];
                sb.Append(e switch
                {
                    '"' => '"',
                    '\\' => '\\',
                    'n' => '\n',
                    't' => '\t',
                    _ => throw new RuleSyntaxException($"unknown escape '\\{e}'", line, col + (i - col)),
                });
            }
            else
            {
                sb.Append(c);
            }
        }
    }

    private static Token ReadJsonPath(string text, ref int i, int line, int col)
    {
        var start = i;
        i++; // $
        if (i >= text.Length || (text[i] != '.' && text[i] != '['))
        {
            throw new RuleSyntaxException("a JSON path starts with '$.' or '$['", line, col);
        }

        while (i < text.Length && (char.IsAsciiLetterOrDigit(text[i]) || text[i] is '_' or '.' or '[' or ']' or '-'))
        {
            i++;
        }

        return new Token(TokenKind.JsonPath, text[start..i], line, col);
    }

    private static Token ReadNumber(string text, ref int i, int line, int col)
    {
        var start = i;
        if (text[i] == '-')
        {
            i++;
        }

        while (i < text.Length && char.IsAsciiDigit(text[i]))
        {
            i++;
        }

        var isNumber = false;
        if (i + 1 < text.Length && text[i] == '.' && char.IsAsciiDigit(text[i + 1]))
        {
            isNumber = true;
            i++;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        if (i < text.Length && (text[i] is 'e' or 'E') && i + 1 < text.Length
            && (char.IsAsciiDigit(text[i + 1]) || ((text[i + 1] is '+' or '-') && i + 2 < text.Length && char.IsAsciiDigit(text[i + 2]))))
        {
            isNumber = true;
            i += 2;
            while (i < text.Length && char.IsAsciiDigit(text[i]))
            {
                i++;
            }
        }

        var numberText = text[start..i];
        if (!isNumber && i < text.Length && char.IsAsciiLetter(text[i]))
        {
            var unitStart = i;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                i++;
            }

            var unit = text[unitStart..i];
            var per = Durations.UnitMillis(unit);
            if (per == 0 || unit.Length > 2 || numberText[0] == '-')
            {
                throw new RuleSyntaxException($"'{text[start..i]}' is not a duration (use ms, s, m, h or d)", line, col);
            }

            if (!long.TryParse(numberText, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n > long.MaxValue / per)
            {
                throw new RuleSyntaxException($"duration '{text[start..i]}' is too large", line, col);
            }

            return new Token(TokenKind.Duration, text[start..i], line, col, n * per);
        }

        if (isNumber)
        {
            return new Token(TokenKind.Number, numberText, line, col, 0, double.Parse(numberText, NumberStyles.Float, CultureInfo.InvariantCulture));
        }

        if (!long.TryParse(numberText, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
        {
            throw new RuleSyntaxException($"integer '{numberText}' is out of range", line, col);
        }

        return new Token(TokenKind.Integer, numberText, line, col, value, value);
    }
}
