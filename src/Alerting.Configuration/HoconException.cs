namespace Alerting.Configuration;

/// <summary>
/// Base of the errors raised while reading HOCON: carries the position of the offending token or value.
/// The message starts with <c>file:line:column: </c>; <see cref="Detail"/> is the message without that prefix.
/// </summary>
public class HoconException : Exception
{
    /// <summary>Creates an error located at <paramref name="position"/>.</summary>
    public HoconException(HoconPosition position, string detail, Exception? innerException = null)
        : base($"{position}: {detail}", innerException)
    {
        Position = position;
        Detail = detail;
    }

    /// <summary>Where the offending token or value starts.</summary>
    public HoconPosition Position { get; }

    /// <summary>The file path (or the name of the parsed string) the error is in.</summary>
    public string File => Position.File;

    /// <summary>1-based line of the error.</summary>
    public int Line => Position.Line;

    /// <summary>1-based column of the error.</summary>
    public int Column => Position.Column;

    /// <summary>The message without the <c>file:line:column: </c> prefix.</summary>
    public string Detail { get; }
}
