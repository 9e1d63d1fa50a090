using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Alerting.Rules.Language;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Alerting.Rules.Templates;

/// <summary>
/// A Scriban template that renders a rule in the rule language. Its header, a Scriban comment at the top of
/// the file (<c>{{## … ##}}</c>), declares the parameters: one <c>@param name type [= default]</c> per line,
/// types <c>integer</c>, <c>number</c>, <c>string</c>, <c>duration</c> or <c>list&lt;type&gt;</c>.
/// </summary>
/// <remarks>
/// The engine is strict: no built-in functions (so no <c>include</c>, no file or clock access), no .NET
/// members, every variable must be a declared parameter or set by the template itself (checked at load in
/// every branch, and again while rendering), loops, recursion and output are bounded. A value reaches the
/// output only through <see cref="RuleText"/>: a string is always one quoted, escaped literal, so no
/// parameter value can change the structure of the rule. Errors in the rendered rule are reported at the
/// template's line and column (the text a template writes is traced back to where it was written).
/// </remarks>
public sealed partial class RuleTemplate
{
    /// <summary>The largest rule a template may render, in characters.</summary>
    public const int MaxOutputLength = 64 * 1024;

    private readonly Template _template;

    private RuleTemplate(string name, string file, string description, IReadOnlyList<TemplateParameter> parameters, Template template)
    {
        Name = name;
        File = file;
        Description = description;
        Parameters = parameters;
        _template = template;
    }

    public string Name { get; }

    /// <summary>The file the template was read from (its name when it was given as text), as errors name it.</summary>
    public string File { get; }

    /// <summary>The header's text other than the parameter lines.</summary>
    public string Description { get; }

    public IReadOnlyList<TemplateParameter> Parameters { get; }

    [GeneratedRegex(@"^\s*@param\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?<type>[a-z<> ]+?)\s*(=\s*(?<default>.*?))?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParamLine();

    /// <summary>
    /// Parses and checks a template; throws <see cref="RuleSetException"/> whose errors name the template
    /// and carry its line and column (the message starts with <paramref name="file"/>, or the name).
    /// </summary>
    public static RuleTemplate Parse(string name, string text, string? file = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        file ??= name;
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        RuleSetException Fail(int line, int column, string message) => new([new RuleError(null, name, line, column, $"{file}: {message}")]);

        var parameters = new List<TemplateParameter>();
        var description = new StringBuilder();
        var body = text;
        var lead = text.Length - text.TrimStart().Length;
        if (text.AsSpan(lead).StartsWith("{{!--", StringComparison.Ordinal))
        {
            throw Fail(LineOf(text, lead), 1, "a Handlebars header ('{{!--'): templates are Scriban now; write the header as '{{## … ##}}' and each parameter as '{{ name }}' (see templates/README.md)");
        }

        if (text.AsSpan(lead).StartsWith("{{##", StringComparison.Ordinal))
        {
            var end = text.IndexOf("##}}", lead + 4, StringComparison.Ordinal);
            if (end < 0)
            {
                throw Fail(LineOf(text, lead), 1, "the header comment '{{##' is not closed with '##}}'");
            }

            var header = text[(lead + 4)..end];
            var firstLine = LineOf(text, lead);
            var lines = header.Split('\n');
            for (var i = 0; i < lines.Length; i++)
            {
                var line = lines[i];
                if (!line.TrimStart().StartsWith('@'))
                {
                    if (line.Trim().Length > 0)
                    {
                        description.AppendLine(line.Trim());
                    }

                    continue;
                }

                var m = ParamLine().Match(line);
                var lineNo = firstLine + i;
                var offset = i == 0 ? lead + 4 - LineStart(text, lead) : 0; // the first line starts after '{{##'
                var col = offset + line.Length - line.TrimStart().Length + 1;
                if (!m.Success)
                {
                    throw Fail(lineNo, col, "expected '@param name type [= default]'");
                }

                var pname = m.Groups["name"].Value;
                if (!TemplateParameter.TryParseType(m.Groups["type"].Value, out var kind, out var isList))
                {
                    throw Fail(lineNo, offset + m.Groups["type"].Index + 1, $"unknown parameter type '{m.Groups["type"].Value}' (integer, number, string, duration, list<…>)");
                }

                if (parameters.Any(p => p.Name == pname))
                {
                    throw Fail(lineNo, offset + m.Groups["name"].Index + 1, $"parameter '{pname}' is declared twice");
                }

                object? defaultValue = null;
                if (m.Groups["default"].Success)
                {
                    var probe = new TemplateParameter(pname, kind, isList, null);
                    if (!probe.TryConvert(ParseDefault(m.Groups["default"].Value, isList), out defaultValue, out var error))
                    {
                        throw Fail(lineNo, offset + m.Groups["default"].Index + 1, $"bad default: {error}");
                    }
                }

                parameters.Add(new TemplateParameter(pname, kind, isList, defaultValue));
            }

            // the header becomes as many empty lines, so a line of the body keeps its number
            body = text[..lead] + new string('\n', header.Count(c => c == '\n')) + text[(end + 4)..];
        }

        var template = Template.Parse(body, file, new ParserOptions { ExpressionDepthLimit = 64 }, new LexerOptions { Lang = ScriptLang.Default, Mode = ScriptMode.Default });
        if (template.HasErrors)
        {
            // the first error only: the ones after it mostly follow from it
            var msg = template.Messages.First(m => m.Type == ParserMessageType.Error);
            throw Fail(msg.Span.Start.Line + 1, msg.Span.Start.Column + 1, $"not a valid Scriban template: {msg.Message}");
        }

        var findings = TemplateChecks.Check(template.Page, parameters.Select(p => p.Name).ToList());
        if (findings.Count > 0)
        {
            throw new RuleSetException(findings
                .Select(f => new RuleError(null, name, f.Span.Start.Line + 1, f.Span.Start.Column + 1, $"{file}: {f.Message}"))
                .ToList());
        }

        var result = new RuleTemplate(name, file, description.ToString().Trim(), parameters, template);

        // render with sample values and parse the result, so a template with a broken rule is refused at load
        var sample = parameters.ToDictionary(p => p.Name, p => p.DefaultValue ?? Sample(p), StringComparer.Ordinal);
        var rendered = result.RenderConverted(sample, null);
        try
        {
            Language.Parser.Parse(rendered.Text);
        }
        catch (RuleSyntaxException ex)
        {
            var (line, column) = rendered.TemplatePosition(ex.Line, ex.Column);
            throw Fail(line, column, ex.Message + RenderedLine(rendered.Text, ex.Line));
        }

        return result;
    }

    private static object Sample(TemplateParameter p)
    {
        object one = p.Kind switch
        {
            ParameterKind.Integer => 1L,
            ParameterKind.Number => 1.5,
            ParameterKind.String => "A",
            _ => new RuleDuration(60_000),
        };
        return p.IsList ? new List<object> { one, one }.AsReadOnly() : one;
    }

    private static object? ParseDefault(string text, bool isList)
    {
        var t = text.Trim();
        if (isList)
        {
            if (!t.StartsWith('[') || !t.EndsWith(']'))
            {
                return t;
            }

            var inner = t[1..^1].Trim();
            return inner.Length == 0 ? new List<object?>() : inner.Split(',').Select(x => ParseDefault(x, false)).ToList();
        }

        if (t.Length >= 2 && t[0] == '"' && t[^1] == '"')
        {
            return t[1..^1];
        }

        return t;
    }

    private static int LineOf(string text, int index) => 1 + text.AsSpan(0, index).Count('\n');

    private static int LineStart(string text, int index) => text.LastIndexOf('\n', Math.Max(0, index - 1)) + 1;

    internal static string RenderedLine(string text, int line)
    {
        var lines = text.Split('\n');
        if (line < 1 || line > lines.Length)
        {
            return "";
        }

        var shown = lines[line - 1].Trim();
        return $" (rendered line: {(shown.Length > 200 ? shown[..200] + "…" : shown)})";
    }

    /// <summary>
    /// Validates the values against the declared parameters (unknown names, missing required ones and
    /// values of the wrong type are errors) and renders the rule. Parameter errors are placed at the value's
    /// position in the rule file when <paramref name="origin"/> gives it; rendering errors at the template's.
    /// </summary>
    public RenderedRule Render(IReadOnlyDictionary<string, object?> values, string? ruleId = null, RuleOrigin? origin = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<RuleError>();
        RuleError ParameterError(string key, string message)
        {
            if (origin is null)
            {
                return new RuleError(ruleId, Name, 0, 0, message);
            }

            var (line, column) = origin.Of(key);
            return new RuleError(ruleId, Name, line, column, $"{origin.File}: {message}");
        }

        var converted = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var name in values.Keys.Where(k => Parameters.All(p => p.Name != k)).Order(StringComparer.Ordinal))
        {
            errors.Add(ParameterError("params." + name, $"unknown parameter '{name}' (declared: {string.Join(", ", Parameters.Select(p => p.Name))})"));
        }

        foreach (var p in Parameters)
        {
            if (!values.TryGetValue(p.Name, out var value))
            {
                if (p.IsRequired)
                {
                    errors.Add(ParameterError("params", $"parameter '{p.Name}' is required"));
                }
                else
                {
                    converted[p.Name] = p.DefaultValue!;
                }

                continue;
            }

            if (p.TryConvert(value, out var typed, out var error))
            {
                converted[p.Name] = typed!;
            }
            else
            {
                errors.Add(ParameterError("params." + p.Name, error));
            }
        }

        if (errors.Count > 0)
        {
            throw new RuleSetException(errors);
        }

        return RenderConverted(converted, ruleId);
    }

    private RenderedRule RenderConverted(IReadOnlyDictionary<string, object> values, string? ruleId)
    {
        var globals = new ScriptObject(StringComparer.Ordinal);
        foreach (var (name, value) in values)
        {
            globals.SetValue(name, value is IReadOnlyList<object> list ? new ScriptArray(list) : value, readOnly: true);
        }

        var context = new RuleRenderContext(globals);
        try
        {
            _template.Render(context);
        }
        catch (ScriptRuntimeException ex)
        {
            throw new RuleSetException([new RuleError(ruleId, Name, ex.Span.Start.Line + 1, ex.Span.Start.Column + 1, $"{File}: rendering failed: {ex.OriginalMessage}")]);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or InvalidCastException or OverflowException or FormatException)
        {
            // what Scriban lets through unwrapped (e.g. a conversion an operator could not make) refuses the rule, never the whole update
            throw new RuleSetException([new RuleError(ruleId, Name, 0, 0, $"{File}: rendering failed: {ex.Message}")]);
        }

        return context.Result();
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}({string.Join(", ", Parameters.Select(p => p.Name))})");
}

/// <summary>
/// A rendered rule: its text, and where each part of it was written in the template, so an error in the
/// rule can be reported at the template's line and column.
/// </summary>
public sealed class RenderedRule
{
    private readonly (int Offset, int Line, int Column, bool Raw)[] _segments;

    internal RenderedRule(string text, (int Offset, int Line, int Column, bool Raw)[] segments)
    {
        Text = text;
        _segments = segments;
    }

    /// <summary>The rule text.</summary>
    public string Text { get; }

    /// <summary>
    /// The template position (1-based) of a 1-based position in <see cref="Text"/>: the same character for
    /// text written as is by the template, the start of the <c>{{ … }}</c> expression for a value it wrote.
    /// </summary>
    public (int Line, int Column) TemplatePosition(int line, int column)
    {
        var offset = 0;
        for (var l = 1; l < line && offset < Text.Length; l++)
        {
            var next = Text.IndexOf('\n', offset);
            offset = next < 0 ? Text.Length : next + 1;
        }

        offset = Math.Min(Text.Length, offset + Math.Max(0, column - 1));
        var i = Array.FindLastIndex(_segments, s => s.Offset <= offset);
        if (i < 0)
        {
            return (line, column);
        }

        var seg = _segments[i];
        if (!seg.Raw)
        {
            return (seg.Line, seg.Column);
        }

        var (tl, tc) = (seg.Line, seg.Column);
        for (var k = seg.Offset; k < offset; k++)
        {
            (tl, tc) = Text[k] == '\n' ? (tl + 1, 1) : (tl, tc + 1);
        }

        return (tl, tc);
    }
}
