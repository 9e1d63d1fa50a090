using System.Collections;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;

namespace Alerting.Rules.Templates;

/// <summary>The type of a template parameter.</summary>
public enum ParameterKind
{
    Integer,
    Number,
    /// <summary>Text, always rendered as a quoted, escaped string literal of the rule language.</summary>
    String,
    Duration,
}

/// <summary>
/// A declared template parameter: name, type (optionally a list of that type) and default. A value is
/// validated and converted to its type before the template sees it (<see cref="TryConvert"/>); the template
/// then writes it only through <see cref="RuleText"/>, so a string is always one quoted literal and no
/// value can change the structure of the rule: integers and numbers are re-formatted, durations re-written
/// in canonical units, strings quoted and escaped (and refused when they hold control characters or line breaks,
/// bidi controls or lone surrogates, or are longer than <see cref="MaxStringLength"/>).
/// </summary>
public sealed partial class TemplateParameter
{
    /// <summary>The longest string a string parameter (or a list item) may hold.</summary>
    public const int MaxStringLength = 200;

    /// <summary>The most items a list parameter may hold.</summary>
    public const int MaxListLength = 100;

    public TemplateParameter(string name, ParameterKind kind, bool isList, object? defaultValue)
    {
        Name = name;
        Kind = kind;
        IsList = isList;
        DefaultValue = defaultValue;
    }

    public string Name { get; }

    public ParameterKind Kind { get; }

    public bool IsList { get; }

    /// <summary>The default value, already converted (see <see cref="TryConvert"/>); null when the parameter is required.</summary>
    public object? DefaultValue { get; }

    public bool IsRequired => DefaultValue is null;

    [GeneratedRegex("^-?[0-9]{1,18}$", RegexOptions.CultureInvariant)]
    private static partial Regex IntegerText();

    [GeneratedRegex("^-?[0-9]{1,20}(\\.[0-9]{1,20})?([eE][+-]?[0-9]{1,3})?$", RegexOptions.CultureInvariant)]
    private static partial Regex NumberText();

    /// <summary>Parses a type such as <c>integer</c> or <c>list&lt;duration&gt;</c>.</summary>
    public static bool TryParseType(string text, out ParameterKind kind, out bool isList)
    {
        isList = false;
        var t = text.Trim();
        if (t.StartsWith("list<", StringComparison.Ordinal) && t.EndsWith('>'))
        {
            isList = true;
            t = t[5..^1].Trim();
        }

        (var ok, kind) = t switch
        {
            "integer" => (true, ParameterKind.Integer),
            "number" => (true, ParameterKind.Number),
            "string" => (true, ParameterKind.String),
            "duration" => (true, ParameterKind.Duration),
            _ => (false, ParameterKind.Integer),
        };
        return ok;
    }

    /// <summary>
    /// Validates a value and converts it to what the template sees: a <see cref="long"/>, a
    /// <see cref="double"/>, a <see cref="string"/>, a <see cref="RuleDuration"/>, or for a list an
    /// <see cref="IReadOnlyList{T}"/> of those. False with a reason when the value is not acceptable.
    /// </summary>
    public bool TryConvert(object? value, out object? converted, out string error)
    {
        converted = null;
        if (IsList)
        {
            if (value is JsonElement { ValueKind: JsonValueKind.Array } array)
            {
                value = array.EnumerateArray().Cast<object?>().ToList();
            }

            if (value is string || value is not IEnumerable items)
            {
                error = $"parameter '{Name}' must be a list of {KindName}s";
                return false;
            }

            var list = new List<object>();
            foreach (var item in items)
            {
                if (list.Count == MaxListLength)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"parameter '{Name}' has more than {MaxListLength} items");
                    return false;
                }

                if (!TryConvertOne(item, out var one, out error))
                {
                    return false;
                }

                list.Add(one);
            }

            converted = list.AsReadOnly();
            error = "";
            return true;
        }

        if (TryConvertOne(value, out var single, out error))
        {
            converted = single;
            return true;
        }

        return false;
    }

    private string KindName => Kind.ToString().ToLowerInvariant();

    private bool TryConvertOne(object? value, out object converted, out string error)
    {
        converted = "";
        error = "";
        if (value is JsonElement json)
        {
            value = json.ValueKind switch
            {
                JsonValueKind.String => json.GetString(),
                JsonValueKind.Number => json.TryGetInt64(out var l) ? l : json.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                JsonValueKind.Null => null,
                _ => json.ToString(),
            };
        }

        switch (Kind)
        {
            case ParameterKind.Integer:
                long? integer = value switch
                {
                    long l => l,
                    int i => i,
                    short s => s,
                    byte b => b,
                    double d when Math.Abs(d) < 1e15 && Math.Floor(d) == d => (long)d,
                    string s when IntegerText().IsMatch(s) => long.Parse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (integer is null)
                {
                    error = $"parameter '{Name}' must be an integer, got {Describe(value)}";
                    return false;
                }

                converted = integer.Value;
                return true;
            case ParameterKind.Number:
                double? number = value switch
                {
                    double d => d,
                    float f => f,
                    long l => l,
                    int i => i,
                    decimal m => (double)m,
                    string s when NumberText().IsMatch(s) => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
                    _ => null,
                };
                if (number is null || !double.IsFinite(number.Value))
                {
                    error = $"parameter '{Name}' must be a number, got {Describe(value)}";
                    return false;
                }

                converted = number.Value;
                return true;
            case ParameterKind.String:
                if (value is not string text)
                {
                    error = $"parameter '{Name}' must be a string, got {Describe(value)}";
                    return false;
                }

                if (text.Length > MaxStringLength)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"parameter '{Name}' is longer than {MaxStringLength} characters ({text.Length})");
                    return false;
                }

                if (RuleText.FindRefused(text) is { } bad)
                {
                    error = string.Create(CultureInfo.InvariantCulture, $"parameter '{Name}' holds the character U+{(int)text[bad]:X4} at position {bad + 1} (control characters, line breaks, bidi controls and lone surrogates are refused)");
                    return false;
                }

                converted = text;
                return true;
            default:
                if (value is not string d2 || !Durations.TryParse(d2, out var ms))
                {
                    error = $"parameter '{Name}' must be a duration such as 30s or 1m, got {Describe(value)}";
                    return false;
                }

                converted = new RuleDuration(ms);
                return true;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => RuleText.Quote(s.Length > 40 ? s[..40] + "…" : s, lenient: true),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.GetType().Name,
    };
}
