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
    /// <summary>Text from a safe pattern: letters, digits, space and <c>_ . : / @ -</c>, at most 200 characters.</summary>
    String,
    Duration,
}

/// <summary>
/// A declared template parameter: name, type (optionally a list of that type) and default. Values are
/// validated and rendered by the parameter itself, never passed through as text, so no value can inject
/// rule text: integers and numbers are re-formatted, durations re-written in canonical units, strings must
/// match <see cref="SafeString"/> (no quotes, backslashes, braces or line breaks).
/// </summary>
public sealed partial class TemplateParameter
{
    public TemplateParameter(string name, ParameterKind kind, bool isList, string? defaultRendered)
    {
        Name = name;
        Kind = kind;
        IsList = isList;
        DefaultRendered = defaultRendered;
    }

    public string Name { get; }

    public ParameterKind Kind { get; }

    public bool IsList { get; }

    /// <summary>The default value, already rendered; null when the parameter is required.</summary>
    public string? DefaultRendered { get; }

    public bool IsRequired => DefaultRendered is null;

    /// <summary>Strings a parameter of type string may hold.</summary>
    [GeneratedRegex("^[A-Za-z0-9 _.:/@-]{0,200}$", RegexOptions.CultureInvariant)]
    public static partial Regex SafeString();

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

    /// <summary>Validates a value and renders it as rule text; false with a reason when the value is not acceptable.</summary>
    public bool TryRender(object? value, out string rendered, out string error)
    {
        if (IsList)
        {
            if (value is JsonElement { ValueKind: JsonValueKind.Array } array)
            {
                value = array.EnumerateArray().Cast<object?>().ToList();
            }

            if (value is string || value is not IEnumerable items)
            {
                rendered = "";
                error = $"parameter '{Name}' must be a list of {KindName}s";
                return false;
            }

            var parts = new List<string>();
            foreach (var item in items)
            {
                if (!TryRenderOne(item, out var one, out error))
                {
                    rendered = "";
                    return false;
                }

                parts.Add(Kind == ParameterKind.String ? $"\"{one}\"" : one);
            }

            rendered = string.Join(", ", parts);
            error = "";
            return true;
        }

        return TryRenderOne(value, out rendered, out error);
    }

    private string KindName => Kind.ToString().ToLowerInvariant();

    private bool TryRenderOne(object? value, out string rendered, out string error)
    {
        rendered = "";
        error = "";
        if (value is JsonElement json)
        {
            value = json.ValueKind switch
            {
                JsonValueKind.String => json.GetString(),
                JsonValueKind.Number => json.TryGetInt64(out var l) ? l : json.GetDouble(),
                JsonValueKind.True => true,
                JsonValueKind.False => false,
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

                rendered = integer.Value.ToString(CultureInfo.InvariantCulture);
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

                rendered = number.Value.ToString("R", CultureInfo.InvariantCulture);
                if (!rendered.Contains('.', StringComparison.Ordinal) && !rendered.Contains('E', StringComparison.Ordinal))
                {
                    rendered += ".0";
                }

                return true;
            case ParameterKind.String:
                if (value is not string text || !SafeString().IsMatch(text))
                {
                    error = $"parameter '{Name}' must be a string of letters, digits, space and _ . : / @ - (at most 200), got {Describe(value)}";
                    return false;
                }

                rendered = text;
                return true;
            default:
                if (value is not string d2 || !Durations.TryParse(d2, out var ms))
                {
                    error = $"parameter '{Name}' must be a duration such as 30s or 1m, got {Describe(value)}";
                    return false;
                }

                rendered = Durations.Format(ms);
                return true;
        }
    }

    private static string Describe(object? value) => value switch
    {
        null => "nothing",
        string s => $"\"{(s.Length > 40 ? s[..40] + "…" : s)}\"",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.GetType().Name,
    };
}
