using Alerting.Events;
using Alerting.Rules.Language;
using Alerting.Rules.Templates;

namespace Alerting.Rules;

/// <summary>The outcome of compiling rule instances: a rule set, or every error found (and no set).</summary>
public sealed record RuleSetCompilation(RuleSet? RuleSet, IReadOnlyList<RuleError> Errors)
{
    public bool Succeeded => RuleSet is not null;
}

/// <summary>
/// Renders each rule instance from its template, compiles it against the event schema and builds an
/// immutable <see cref="RuleSet"/>. A set with any invalid rule (disabled ones included) is refused as a whole.
/// </summary>
public static class RuleSetCompiler
{
    private static readonly System.Text.RegularExpressions.Regex RuleId = new("^[A-Za-z0-9_.:-]{1,100}$", System.Text.RegularExpressions.RegexOptions.CultureInvariant);

    public static RuleSetCompilation Compile(long version, IEnumerable<RuleInstance> instances, TemplateLibrary templates, EventSchema schema, TimeSpan? regexTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(instances);
        ArgumentNullException.ThrowIfNull(templates);
        ArgumentNullException.ThrowIfNull(schema);
        var errors = new List<RuleError>();
        var compiled = new List<CompiledRule>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var rule in instances)
        {
            if (rule.Id is null || !RuleId.IsMatch(rule.Id))
            {
                errors.Add(At(rule, "id", "a rule id is 1 to 100 letters, digits or _ . : -"));
                continue;
            }

            if (!seen.Add(rule.Id))
            {
                errors.Add(At(rule, "id", "the rule id is used twice"));
                continue;
            }

            if (!templates.TryGet(rule.Template ?? "", out var template))
            {
                errors.Add(At(rule, "template", $"unknown template '{rule.Template}'"));
                continue;
            }

            RenderedRule rendered;
            try
            {
                rendered = template.Render(rule.Parameters ?? new Dictionary<string, object?>(), rule.Id, rule.Origin);
            }
            catch (RuleSetException ex)
            {
                errors.AddRange(ex.Errors);
                continue;
            }

            try
            {
                var c = CompiledRule.Compile(rule.Id, rule.Version, rendered.Text, schema, rule.Template, regexTimeout);
                if (rule.Enabled)
                {
                    compiled.Add(c);
                }
            }
            catch (RuleSyntaxException ex)
            {
                var (line, column) = rendered.TemplatePosition(ex.Line, ex.Column);
                errors.Add(new RuleError(rule.Id, rule.Template, line, column, $"{template.File}: {ex.Message}{RuleTemplate.RenderedLine(rendered.Text, ex.Line)}"));
            }
        }

        return errors.Count > 0
            ? new RuleSetCompilation(null, errors)
            : new RuleSetCompilation(RuleSet.Create(version, compiled, schema), []);
    }

    /// <summary>An error placed at a setting of the rule in its rule file, when the rule came from one.</summary>
    private static RuleError At(RuleInstance rule, string key, string message)
    {
        if (rule.Origin is not { } origin)
        {
            return new RuleError(rule.Id, rule.Template, 0, 0, message);
        }

        var (line, column) = origin.Of(key);
        return new RuleError(rule.Id, rule.Template, line, column, $"{origin.File}: {message}");
    }
}

/// <summary>
/// Holds the rule set in force. <see cref="TryUpdate"/> compiles a new set with the next version and puts
/// it in force only when every rule is valid; otherwise the previous set stays, unchanged.
/// <see cref="TryReload"/> does the same with templates read again from a folder: a broken template refuses
/// the whole update and the set in force, and the templates it was compiled from, stay.
/// </summary>
public sealed class RuleSetRegistry(TemplateLibrary templates, EventSchema schema, TimeSpan? regexTimeout = null)
{
    private readonly Lock _update = new();
    private RuleSet _current = RuleSet.Empty(schema);
    private TemplateLibrary _templates = templates;

    /// <summary>The set in force (read without locks: sets are immutable values).</summary>
    public RuleSet Current => Volatile.Read(ref _current);

    /// <summary>The templates the set in force was compiled from.</summary>
    public TemplateLibrary Templates => Volatile.Read(ref _templates);

    public RuleSetCompilation TryUpdate(IEnumerable<RuleInstance> instances)
    {
        lock (_update)
        {
            return Apply(_templates, instances);
        }
    }

    /// <summary>Reads the <c>*.sbn</c> templates of <paramref name="templatesDirectory"/> again and compiles <paramref name="instances"/> against them.</summary>
    public RuleSetCompilation TryReload(string templatesDirectory, IEnumerable<RuleInstance> instances)
    {
        TemplateLibrary library;
        try
        {
            library = TemplateLibrary.LoadDirectory(templatesDirectory);
        }
        catch (RuleSetException ex)
        {
            return new RuleSetCompilation(null, ex.Errors);
        }

        lock (_update)
        {
            return Apply(library, instances);
        }
    }

    private RuleSetCompilation Apply(TemplateLibrary library, IEnumerable<RuleInstance> instances)
    {
        var result = RuleSetCompiler.Compile(Current.Version + 1, instances, library, schema, regexTimeout);
        if (result.RuleSet is not null)
        {
            Volatile.Write(ref _templates, library);
            Volatile.Write(ref _current, result.RuleSet);
        }

        return result;
    }
}
