namespace Alerting.Configuration;

/// <summary>
/// A node of a resolved HOCON tree: an object, an array or a scalar. Every node knows where its value was
/// written (<see cref="Position"/>) and where it sits in the tree (<see cref="Path"/>), so a consumer can
/// report a bad value at its source line and column. Trees are immutable.
/// </summary>
public abstract class HoconValue
{
    private protected HoconValue(HoconPosition position, string path)
    {
        Position = position;
        Path = path;
    }

    /// <summary>Where the value was written (for a substituted value: where the substituted value was written).</summary>
    public HoconPosition Position { get; }

    /// <summary>The path of this node in the tree: <c>""</c> for the root, <c>rules.0.params.window</c> for a nested value.</summary>
    public string Path { get; }

    /// <summary>Object, array or scalar.</summary>
    public abstract HoconValueKind Kind { get; }

    /// <summary>The path for messages: the path, or <c>(root)</c>.</summary>
    internal string DisplayPath => Path.Length == 0 ? "(root)" : Path;

    /// <summary>This node as an object; throws <see cref="HoconValueException"/> at this node's position if it is not one.</summary>
    public HoconObject AsObject() => this as HoconObject ?? throw KindMismatch("an object");

    /// <summary>This node as an array; throws <see cref="HoconValueException"/> at this node's position if it is not one.</summary>
    public HoconArray AsArray() => this as HoconArray ?? throw KindMismatch("an array");

    /// <summary>This node as a scalar; throws <see cref="HoconValueException"/> at this node's position if it is not one.</summary>
    public HoconScalar AsScalar() => this as HoconScalar ?? throw KindMismatch("a scalar value");

    /// <summary>The scalar's text; throws <see cref="HoconValueException"/> if this is an object or array.</summary>
    public string AsString() => AsScalar().Text;

    /// <summary>The scalar as a 64-bit integer; throws <see cref="HoconValueException"/> naming the path and the value otherwise.</summary>
    public long AsLong() => AsScalar().ToLong();

    /// <summary>The scalar as a 32-bit integer; throws <see cref="HoconValueException"/> otherwise.</summary>
    public int AsInt() => AsScalar().ToInt();

    /// <summary>The scalar as a double; throws <see cref="HoconValueException"/> otherwise.</summary>
    public double AsDouble() => AsScalar().ToDouble();

    /// <summary>The scalar as a boolean (true/false/yes/no/on/off); throws <see cref="HoconValueException"/> otherwise.</summary>
    public bool AsBool() => AsScalar().ToBool();

    /// <summary>The scalar as a duration (<see cref="HoconDuration"/>); throws <see cref="HoconValueException"/> otherwise.</summary>
    public TimeSpan AsDuration() => AsScalar().ToDuration();

    /// <summary>The scalar as a size in bytes (<see cref="HoconSize"/>); throws <see cref="HoconValueException"/> otherwise.</summary>
    public long AsSize() => AsScalar().ToSize();

    /// <summary>Builds an error located at this value, e.g. for a value that is well-formed but not allowed.</summary>
    public HoconValueException Error(string detail) => new(Position, Path, detail);

    private protected abstract string Describe();

    private HoconValueException KindMismatch(string expected) =>
        new(Position, Path, $"{DisplayPath} is {Describe()}, expected {expected}");
}
