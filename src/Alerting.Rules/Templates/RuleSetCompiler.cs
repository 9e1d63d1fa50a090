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
                errors.Add(new RuleError(rule.Id, rule.Template, 0, 0, "a rule id is 1 to 100 letters, digits or _ . : -"));
                continue;
            }

            if (!seen.Add(rule.Id))
            {
                errors.Add(new RuleError(rule.Id, rule.Template, 0, 0, "the rule id is used twice"));
                continue;
            }

            if (!templates.TryGet(rule.Template ?? "", out var template))
            {
                errors.Add(new RuleError(rule.Id, rule.Template, 0, 0, $"unknown template '{rule.Template}'"));
                continue;
            }

            string text;
            try
            {
                text = template.Render(rule.Parameters ?? new Dictionary<string, object?>(), rule.Id);
            }
            catch (RuleSetException ex)
            {
                errors.AddRange(ex.Errors);
                continue;
            }

            try
            {
                var c = CompiledRule.Compile(rule.Id, rule.Version, text, schema, rule.Template, regexTimeout);
                if (rule.Enabled)
                {
                    compiled.Add(c);
                }
            }
            catch (RuleSyntaxException ex)
            {
                errors.Add(new RuleError(rule.Id, rule.Template, ex.Line, ex.Column, ex.Message + RuleTemplate.RenderedLine(text, ex.Line)));
            }
        }

        return errors.Count > 0
            ? new RuleSetCompilation(null, errors)
            : new RuleSetCompilation(RuleSet.Create(version, compiled, schema), []);
    }
}

/// <summary>
/// Holds the rule set in force. <see cref="TryUpdate"/> compiles a new set with the next version and puts
/// it in force only when every rule is valid; otherwise the previous set stays, unchanged.
/// </summary>
public sealed class RuleSetRegistry(TemplateLibrary templates, EventSchema schema, TimeSpan? regexTimeout = null)
{
    private RuleSet _current = RuleSet.Empty(schema);

    /// <summary>The set in force (read without locks: sets are immutable values).</summary>
    public RuleSet Current => Volatile.Read(ref _current);

    public RuleSetCompilation TryUpdate(IEnumerable<RuleInstance> instances)
    {
        var result = RuleSetCompiler.Compile(Current.Version + 1, instances, templates, schema, regexTimeout);
        if (result.RuleSet is not null)
        {
            Volatile.Write(ref _current, result.RuleSet);
        }

        return result;
    }
}
