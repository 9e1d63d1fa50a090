namespace Alerting.Configuration;

/// <summary>
/// Thrown by the typed accessors of the HOCON tree when a value is missing or has the wrong kind or format,
/// e.g. <c>rules.conf:4:31: rules.0.params.window = "soon" is not a duration (e.g. 5s, 100ms)</c>.
/// The position is the one of the offending value (or of the object that lacks a required key).
/// </summary>
public sealed class HoconValueException : HoconException
{
    /// <summary>Creates a value error for the value at <paramref name="path"/>.</summary>
    public HoconValueException(HoconPosition position, string path, string detail)
        : base(position, detail)
    {
        Path = path;
    }

    /// <summary>The HOCON path of the offending value (dotted, array indices as numbers, e.g. <c>rules.0.id</c>).</summary>
    public string Path { get; }
}
