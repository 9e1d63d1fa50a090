using System.Globalization;

namespace Alerting.Configuration;

/// <summary>
/// A scalar of the tree: its source <see cref="Text"/> (quotes and escapes already removed; a concatenation
/// joined with its inner whitespace) and what it was written as. Conversions read the text, so
/// <c>window = 1m</c> and <c>window = "1m"</c> are the same duration. A failed conversion throws
/// <see cref="HoconValueException"/> naming the path, the text and what was expected, at this value's position.
/// </summary>
public sealed class HoconScalar : HoconValue
{
    internal HoconScalar(HoconPosition position, string path, string text, HoconScalarKind scalarKind)
        : base(position, path)
    {
        Text = text;
        ScalarKind = scalarKind;
    }

    /// <inheritdoc />
    public override HoconValueKind Kind => HoconValueKind.Scalar;

    /// <summary>The value's text, e.g. <c>1m</c>, <c>fault-pair</c>, <c>101</c>, <c>true</c>.</summary>
    public string Text { get; }

    /// <summary>What the scalar was written as (string, number, boolean, null).</summary>
    public HoconScalarKind ScalarKind { get; }

    /// <summary>True for an unquoted <c>null</c>.</summary>
    public bool IsNull => ScalarKind == HoconScalarKind.Null;

    /// <summary>Parses the text as a 64-bit integer.</summary>
    public bool TryToLong(out long value) =>
        long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out value);

    /// <summary>Parses the text as a double (invariant culture).</summary>
    public bool TryToDouble(out double value) =>
        double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    /// <summary>Parses true/false/yes/no/on/off (case-insensitive).</summary>
    public bool TryToBool(out bool value) => HoconBoolean.TryParse(Text, out value);

    internal long ToLong() => TryToLong(out var v) ? v : throw NotA("an integer");

    internal int ToInt() =>
        TryToLong(out var v) && v is >= int.MinValue and <= int.MaxValue ? (int)v : throw NotA("a 32-bit integer");

    internal double ToDouble() => TryToDouble(out var v) ? v : throw NotA("a number");

    internal bool ToBool() => TryToBool(out var v) ? v : throw NotA("a boolean (true/false, yes/no, on/off)");

    internal TimeSpan ToDuration() => HoconDuration.TryParse(Text, out var v) ? v : throw NotA(HoconDuration.Expected);

    internal long ToSize() => HoconSize.TryParse(Text, out var v) ? v : throw NotA(HoconSize.Expected);

    /// <summary>The text.</summary>
    public override string ToString() => Text;

    private protected override string Describe() => ScalarKind switch
    {
        HoconScalarKind.Null => "null",
        HoconScalarKind.Number => $"the number {Text}",
        HoconScalarKind.Boolean => $"the boolean {Text}",
        _ => $"the string \"{Text}\"",
    };

    private HoconValueException NotA(string expected) =>
        new(Position, Path, $"{DisplayPath} = \"{Text}\" is not {expected}");
}
