using System.Collections;
using System.Globalization;
using System.Text;

namespace Alerting.Rules.Templates;

/// <summary>A duration a template parameter holds; written into a rule in canonical units (<c>90s</c>, <c>1m</c>).</summary>
/// <param name="Milliseconds">The duration in milliseconds.</param>
public sealed record RuleDuration(long Milliseconds)
{
    public override string ToString() => Durations.Format(Milliseconds);
}

/// <summary>
/// Writes the values a template outputs as rule-language text. This is the only way a value reaches a
/// rendered rule: a string becomes one quoted, escaped string literal whatever it holds, numbers are
/// formatted invariantly, durations in canonical units, lists item by item joined with <c>", "</c>.
/// </summary>
public static class RuleText
{
    /// <summary>The rule-language text of a value; throws <see cref="FormatException"/> for a value that has none.</summary>
    public static string Format(object? value)
    {
        var sb = new StringBuilder();
        Append(sb, value, nested: false);
        return sb.ToString();
    }

    private static void Append(StringBuilder sb, object? value, bool nested)
    {
        switch (value)
        {
            case null:
                return;
            case string s:
                sb.Append(Quote(s, lenient: false));
                return;
            case bool b:
                sb.Append(b ? "true" : "false");
                return;
            case long or int or short or byte or sbyte or uint or ushort:
                sb.Append(((IFormattable)value).ToString(null, CultureInfo.InvariantCulture));
                return;
            case double or float or decimal:
                sb.Append(FormatNumber(Convert.ToDouble(value, CultureInfo.InvariantCulture)));
                return;
            case RuleDuration d:
                sb.Append(d.ToString());
                return;
            case IEnumerable items when !nested:
                var first = true;
                foreach (var item in items)
                {
                    if (!first)
                    {
                        sb.Append(", ");
                    }

                    first = false;
                    Append(sb, item, nested: true);
                }

                return;
            default:
                throw new FormatException(value is IEnumerable
                    ? "a list inside a list cannot be written into a rule"
                    : $"a value of type {value.GetType().Name} cannot be written into a rule");
        }
    }

    private static string FormatNumber(double number)
    {
        if (!double.IsFinite(number))
        {
            throw new FormatException($"the number {number.ToString(CultureInfo.InvariantCulture)} cannot be written into a rule");
        }

        var text = number.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.', StringComparison.Ordinal) || text.Contains('E', StringComparison.Ordinal) ? text : text + ".0";
    }

    /// <summary>
    /// A string literal of the rule language holding <paramref name="text"/>: <c>"</c> and <c>\</c> escaped,
    /// line feeds and tabs as <c>\n</c> and <c>\t</c>. Other control characters, bidi controls and lone
    /// surrogates have no safe form and throw <see cref="FormatException"/>, unless <paramref name="lenient"/>
    /// (for messages, not for rules) writes them as <c>\uXXXX</c>.
    /// </summary>
    public static string Quote(string text, bool lenient)
    {
        ArgumentNullException.ThrowIfNull(text);
        var sb = new StringBuilder(text.Length + 2);
        sb.Append('"');
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            switch (c)
            {
                case '"':
                    sb.Append("\\\"");
                    continue;
                case '\\':
                    sb.Append("\\\\");
                    continue;
                case '\n':
                    sb.Append("\\n");
                    continue;
                case '\t':
                    sb.Append("\\t");
                    continue;
            }

            if (IsUnwritable(text, i))
            {
                if (!lenient)
                {
                    throw new FormatException(string.Create(CultureInfo.InvariantCulture, $"the character U+{(int)c:X4} cannot be written into a rule's string"));
                }

                sb.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
                continue;
            }

            if (char.IsHighSurrogate(c))
            {
                sb.Append(c).Append(text[++i]);
                continue;
            }

            sb.Append(c);
        }

        return sb.Append('"').ToString();
    }

    /// <summary>
    /// The index of the first character a string parameter may not hold, or null: any control character
    /// (line breaks and tabs included, so a value cannot forge lines in the logs and outputs an alert type
    /// reaches), bidi controls and lone surrogates.
    /// </summary>
    public static int? FindRefused(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsControl(text[i]) || IsUnwritable(text, i))
            {
                return i;
            }

            if (char.IsHighSurrogate(text[i]))
            {
                i++;
            }
        }

        return null;
    }

    private static bool IsUnwritable(string text, int i)
    {
        var c = text[i];
        if (char.IsHighSurrogate(c))
        {
            return i + 1 >= text.Length || !char.IsLowSurrogate(text[i + 1]);
        }

        return char.IsLowSurrogate(c)
            || char.IsControl(c) && c is not '\n' and not '\t'
            || c is >= '\u202A' and <= '\u202E' or >= '\u2066' and <= '\u2069' or '\u200E' or '\u200F' or '\u061C'
            || c is '\u2028' or '\u2029';
    }
}
