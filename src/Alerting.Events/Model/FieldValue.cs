using System.Globalization;

namespace Alerting.Events;

/// <summary>The type of a mapped field, declared in a source definition (HOCON).</summary>
public enum FieldType : byte
{
    /// <summary>No value: the field was absent or null in the record.</summary>
    Missing = 0,
    /// <summary>64-bit signed integer.</summary>
    Integer,
    /// <summary>Double-precision number.</summary>
    Number,
    /// <summary>UTF-16 string.</summary>
    String,
    /// <summary>true / false.</summary>
    Boolean,
    /// <summary>Instant in Unix milliseconds (UTC).</summary>
    Timestamp,
}

/// <summary>
/// One typed field value held in a slot of a <see cref="DeviceEvent"/>. A small struct, no boxing:
/// integers, booleans and timestamps live in <see cref="Long"/>, numbers in <see cref="Double"/>,
/// strings in <see cref="String"/>.
/// </summary>
public readonly struct FieldValue : IEquatable<FieldValue>
{
    private FieldValue(FieldType type, long l, double d, string? s)
    {
        Type = type;
        Long = l;
        Double = d;
        String = s;
    }

    public FieldType Type { get; }
    public long Long { get; }
    public double Double { get; }
    public string? String { get; }

    public bool IsMissing => Type == FieldType.Missing;
    public bool IsNumeric => Type is FieldType.Integer or FieldType.Number or FieldType.Timestamp;

    public static FieldValue Missing => default;
    public static FieldValue FromInteger(long value) => new(FieldType.Integer, value, value, null);
    public static FieldValue FromNumber(double value) => new(FieldType.Number, 0, value, null);
    public static FieldValue FromString(string value) => new(FieldType.String, 0, 0, value);
    public static FieldValue FromBoolean(bool value) => new(FieldType.Boolean, value ? 1 : 0, 0, null);
    public static FieldValue FromTimestamp(long unixMs) => new(FieldType.Timestamp, unixMs, unixMs, null);

    /// <summary>The numeric value as a double (integers and timestamps widen exactly up to 2^53).</summary>
    public double AsDouble => Type == FieldType.Number ? Double : Long;

    public bool Equals(FieldValue other)
    {
        if (IsNumeric && other.IsNumeric)
        {
            return Type != FieldType.Number && other.Type != FieldType.Number
                ? Long == other.Long
                : AsDouble.Equals(other.AsDouble);
        }

        return Type == other.Type && Long == other.Long && string.Equals(String, other.String, StringComparison.Ordinal);
    }

    public override bool Equals(object? obj) => obj is FieldValue v && Equals(v);

    public override int GetHashCode() => IsNumeric ? AsDouble.GetHashCode() : HashCode.Combine(Type, Long, String);

    public static bool operator ==(FieldValue left, FieldValue right) => left.Equals(right);
    public static bool operator !=(FieldValue left, FieldValue right) => !left.Equals(right);

    public override string ToString() => Type switch
    {
        FieldType.Missing => "<missing>",
        FieldType.Integer => Long.ToString(CultureInfo.InvariantCulture),
        FieldType.Number => Double.ToString("R", CultureInfo.InvariantCulture),
        FieldType.String => String!,
        FieldType.Boolean => Long != 0 ? "true" : "false",
        FieldType.Timestamp => DateTimeOffset.FromUnixTimeMilliseconds(Long).ToString("O", CultureInfo.InvariantCulture),
        _ => "?",
    };
}
