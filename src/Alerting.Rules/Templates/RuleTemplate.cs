using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Alerting.Rules.Language;
using HandlebarsDotNet;

namespace Alerting.Rules.Templates;

/// <summary>
/// A Handlebars.Net template that renders a rule in the rule language. Its header, a Handlebars comment at
/// the top of the file, declares the parameters: one <c>@param name type [= default]</c> per line, types
/// <c>integer</c>, <c>number</c>, <c>string</c>, <c>duration</c> or <c>list&lt;type&gt;</c>. The header is
/// replaced by blank lines before compiling, so a line of the rendered rule is the same line of the file.
/// </summary>
public sealed partial class RuleTemplate
{
    private static readonly IHandlebars Engine = Handlebars.Create(new HandlebarsConfiguration
    {
        NoEscape = true,
        ThrowOnUnresolvedBindingExpression = true,
    });

    private readonly HandlebarsTemplate<object, object> _render;

    private RuleTemplate(string name, string description, IReadOnlyList<TemplateParameter> parameters, HandlebarsTemplate<object, object> render)
    {
        Name = name;
        Description = description;
        Parameters = parameters;
        _render = render;
    }

    public string Name { get; }

    /// <summary>The header's text other than the parameter lines.</summary>
    public string Description { get; }

    public IReadOnlyList<TemplateParameter> Parameters { get; }

    [GeneratedRegex(@"^\s*@param\s+(?<name>[A-Za-z_][A-Za-z0-9_]*)\s+(?<type>[a-z<> ]+?)\s*(=\s*(?<default>.*?))?\s*$", RegexOptions.CultureInvariant)]
    private static partial Regex ParamLine();

    [GeneratedRegex(@"(\d+):(\d+)", RegexOptions.CultureInvariant)]
    private static partial Regex Position();

    /// <summary>Parses and checks a template; throws <see cref="RuleSetException"/> with the template name, line and column.</summary>
    public static RuleTemplate Parse(string name, string text)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(text);
        text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        RuleSetException Fail(int line, int column, string message) => new([new RuleError(null, name, line, column, message)]);

        var parameters = new List<TemplateParameter>();
        var description = new StringBuilder();
        var body = text;
        var lead = text.Length - text.TrimStart().Length;
        if (text.AsSpan(lead).StartsWith("{{!--", StringComparison.Ordinal))
        {
            var end = text.IndexOf("--}}", lead, StringComparison.Ordinal);
            if (end < 0)
            {
                throw Fail(LineOf(text, lead), 1, "the header comment '{{!--' is not closed with '--}}'");
            }

            var header = text[(lead + 5)..end];
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
                var col = line.Length - line.TrimStart().Length + 1;
                if (!m.Success)
                {
                    throw Fail(lineNo, col, "expected '@param name type [= default]'");
                }

                var pname = m.Groups["name"].Value;
                if (!TemplateParameter.TryParseType(m.Groups["type"].Value, out var kind, out var isList))
                {
                    throw Fail(lineNo, m.Groups["type"].Index + 1, $"unknown parameter type '{m.Groups["type"].Value}' (integer, number, string, duration, list<…>)");
                }

                if (parameters.Any(p => p.Name == pname))
                {
                    throw Fail(lineNo, m.Groups["name"].Index + 1, $"parameter '{pname}' is declared twice");
                }

                string? rendered = null;
                if (m.Groups["default"].Success)
                {
                    var probe = new TemplateParameter(pname, kind, isList, null);
                    if (!probe.TryRender(ParseDefault(m.Groups["default"].Value, isList), out rendered, out var error))
                    {
                        throw Fail(lineNo, m.Groups["default"].Index + 1, $"bad default: {error}");
                    }
                }

                parameters.Add(new TemplateParameter(pname, kind, isList, rendered));
            }

            // keep the line numbers of the body: the header becomes as many empty lines
            body = text[..lead] + new string('\n', header.Count(c => c == '\n')) + text[(end + 4)..];
        }

        HandlebarsTemplate<object, object> render;
        try
        {
            render = Engine.Compile(body);
        }
        catch (HandlebarsException ex)
        {
            var at = Position().Match(ex.Message);
            throw at.Success
                ? Fail(int.Parse(at.Groups[1].Value, CultureInfo.InvariantCulture), int.Parse(at.Groups[2].Value, CultureInfo.InvariantCulture), $"not a valid Handlebars template: {ex.Message}")
                : Fail(0, 0, $"not a valid Handlebars template: {ex.Message}");
        }

        var template = new RuleTemplate(name, description.ToString().Trim(), parameters, render);

        // render with sample values and parse the result, so a template with a broken rule is refused at load
        var sample = parameters.ToDictionary(p => p.Name, p => (object?)(p.DefaultRendered ?? p.Kind switch
        {
            ParameterKind.Integer => p.IsList ? "1, 2" : "1",
            ParameterKind.Number => p.IsList ? "1.5, 2.5" : "1.5",
            ParameterKind.String => p.IsList ? "\"a\", \"b\"" : "A",
            _ => p.IsList ? "1s, 2s" : "1m",
        }));
        string text2;
        try
        {
            text2 = render(sample);
        }
        catch (Exception ex) when (ex is HandlebarsException or HandlebarsDotNet.Compiler.HandlebarsUndefinedBindingException)
        {
            throw Fail(0, 0, $"rendering failed (is every {{{{name}}}} a declared parameter?): {ex.Message}");
        }

        try
        {
            Parser.Parse(text2);
        }
        catch (RuleSyntaxException ex)
        {
            throw Fail(ex.Line, ex.Column, ex.Message + RenderedLine(text2, ex.Line));
        }

        return template;
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

    internal static string RenderedLine(string text, int line)
    {
        var lines = text.Split('\n');
        return line >= 1 && line <= lines.Length ? $" (rendered line: {lines[line - 1].Trim()})" : "";
    }

    /// <summary>
    /// Validates the values against the declared parameters (unknown names, missing required ones, wrong
    /// types and unsafe strings are errors) and renders the rule text.
    /// </summary>
    public string Render(IReadOnlyDictionary<string, object?> values, string? ruleId = null)
    {
        ArgumentNullException.ThrowIfNull(values);
        var errors = new List<RuleError>();
        var rendered = new Dictionary<string, object?>(StringComparer.Ordinal);
        foreach (var name in values.Keys.Where(k => Parameters.All(p => p.Name != k)).Order(StringComparer.Ordinal))
        {
            errors.Add(new RuleError(ruleId, Name, 0, 0, $"unknown parameter '{name}' (declared: {string.Join(", ", Parameters.Select(p => p.Name))})"));
        }

        foreach (var p in Parameters)
        {
            if (!values.TryGetValue(p.Name, out var value))
            {
                if (p.IsRequired)
                {
                    errors.Add(new RuleError(ruleId, Name, 0, 0, $"parameter '{p.Name}' is required"));
                }
                else
                {
                    rendered[p.Name] = p.DefaultRendered;
                }

                continue;
            }

            if (p.TryRender(value, out var text, out var error))
            {
                rendered[p.Name] = text;
            }
            else
            {
                errors.Add(new RuleError(ruleId, Name, 0, 0, error));
            }
        }

        if (errors.Count > 0)
        {
            throw new RuleSetException(errors);
        }

        return _render(rendered);
    }

    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Name}({string.Join(", ", Parameters.Select(p => p.Name))})");
}
