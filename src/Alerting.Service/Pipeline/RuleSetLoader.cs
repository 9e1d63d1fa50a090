using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Storage;
using Alerting.Rules.Templates;
using Alerting.Service.Settings;

namespace Alerting.Service.Pipeline;

/// <summary>Compiles the configured rule file against the templates and the sources' schema, once at start-up.</summary>
public static class RuleSetLoader
{
    /// <summary>
    /// The compiled rule set; a rule set with any invalid rule is refused as a whole with a
    /// <see cref="RuleSetException"/> listing each error with its rule, template, line and column.
    /// </summary>
    public static RuleSet Load(RulesSettings rules, IReadOnlyList<SourceDefinition> sources, long version = 1)
    {
        ArgumentNullException.ThrowIfNull(rules);
        var library = TemplateLibrary.LoadDirectory(rules.TemplatesDirectory);
        var instances = RuleFile.Load(rules.File);
        var compiled = RuleSetCompiler.Compile(version, instances, library, SourceDefinition.SharedSchema(sources));
        return compiled.RuleSet ?? throw new RuleSetException(compiled.Errors);
    }
}
