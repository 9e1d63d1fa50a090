namespace Alerting.Configuration;

/// <summary>
/// Thrown when a HOCON document cannot be read: a syntax error, a missing or cyclic include, an unresolvable
/// substitution or an impossible concatenation. The message reads like
/// <c>alerting.conf:12:7: expected '}' to close the object opened at line 3, column 9, but found end of file</c>.
/// </summary>
public sealed class HoconParseException : HoconException
{
    /// <summary>Creates a parse error located at <paramref name="position"/>.</summary>
    public HoconParseException(HoconPosition position, string detail, Exception? innerException = null)
        : base(position, detail, innerException)
    {
    }
}
