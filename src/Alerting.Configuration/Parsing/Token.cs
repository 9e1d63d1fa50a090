namespace Alerting.Configuration.Parsing;

internal enum TokenKind
{
    Eof,
    Newline,
    Whitespace,
    LeftBrace,
    RightBrace,
    LeftBracket,
    RightBracket,
    Comma,
    Separator,
    PlusEquals,
    Unquoted,
    Quoted,
    Substitution,
}

/// <summary>A lexical token; substitutions carry their path elements and whether they are optional.</summary>
internal sealed record Token(TokenKind Kind, string Text, HoconPosition Position)
{
    public IReadOnlyList<string> Path { get; init; } = [];

    public bool Optional { get; init; }

    public string Describe() => Kind switch
    {
        TokenKind.Eof => "end of file",
        TokenKind.Newline => "a new line",
        TokenKind.Whitespace => "whitespace",
        TokenKind.Quoted => $"the string \"{Text}\"",
        TokenKind.Substitution => $"the substitution {Text}",
        _ => $"'{Text}'",
    };
}
