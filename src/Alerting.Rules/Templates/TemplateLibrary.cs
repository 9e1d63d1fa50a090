namespace Alerting.Rules.Templates;

/// <summary>The rule templates by name: the <c>*.hbs</c> files of a folder (name = file name without extension).</summary>
public sealed class TemplateLibrary
{
    private readonly Dictionary<string, RuleTemplate> _templates;

    private TemplateLibrary(Dictionary<string, RuleTemplate> templates) => _templates = templates;

    public IReadOnlyCollection<RuleTemplate> Templates => _templates.Values;

    public bool TryGet(string name, out RuleTemplate template) => _templates.TryGetValue(name, out template!);

    /// <summary>Parses the given templates; throws <see cref="RuleSetException"/> listing every broken one.</summary>
    public static TemplateLibrary FromSources(IEnumerable<KeyValuePair<string, string>> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var templates = new Dictionary<string, RuleTemplate>(StringComparer.Ordinal);
        var errors = new List<RuleError>();
        foreach (var (name, text) in sources)
        {
            try
            {
                templates[name] = RuleTemplate.Parse(name, text);
            }
            catch (RuleSetException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        return errors.Count > 0 ? throw new RuleSetException(errors) : new TemplateLibrary(templates);
    }

    /// <summary>Loads every <c>*.hbs</c> file of a folder.</summary>
    public static TemplateLibrary LoadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        return FromSources(Directory.EnumerateFiles(directory, "*.hbs")
            .Order(StringComparer.Ordinal)
            .Select(f => KeyValuePair.Create(Path.GetFileNameWithoutExtension(f), File.ReadAllText(f))));
    }
}
