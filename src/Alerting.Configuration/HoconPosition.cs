namespace Alerting.Configuration;

/// <summary>
/// Where a HOCON token or value starts: the source name (a file path or the name given to a string),
/// a 1-based line and a 1-based column counted in characters. Renders as <c>file:line:column</c>.
/// </summary>
/// <param name="File">The file path (as given to the parser) or the name of a parsed string.</param>
/// <param name="Line">1-based line number.</param>
/// <param name="Column">1-based column number (a tab counts as one column).</param>
public readonly record struct HoconPosition(string File, int Line, int Column)
{
    /// <summary>Renders the position as <c>file:line:column</c>, the prefix of every HOCON error message.</summary>
    public override string ToString() => $"{File}:{Line}:{Column}";
}
