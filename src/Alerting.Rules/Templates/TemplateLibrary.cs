namespace Alerting.Rules.Templates;

/// <summary>The rule templates by name: the <c>*.sbn</c> (Scriban) files of a folder (name = file name without extension).</summary>
public sealed class TemplateLibrary
{
    /// <summary>The extension of a template file.</summary>
    public const string Extension = ".sbn";

    private readonly Dictionary<string, RuleTemplate> _templates;

    private TemplateLibrary(Dictionary<string, RuleTemplate> templates) => _templates = templates;

    public IReadOnlyCollection<RuleTemplate> Templates => _templates.Values;

    public bool TryGet(string name, out RuleTemplate template) => _templates.TryGetValue(name, out template!);

    /// <summary>Parses the given templates (name, text); throws <see cref="RuleSetException"/> listing every broken one.</summary>
    public static TemplateLibrary FromSources(IEnumerable<KeyValuePair<string, string>> sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        return Build(sources.Select(s => (s.Key, s.Value, (string?)null)), []);
    }

    /// <summary>
    /// Loads every <c>*.sbn</c> file of a folder. A Handlebars template (<c>*.hbs</c>) without a <c>*.sbn</c>
    /// of the same name is an error naming the file (it would otherwise vanish from the rule set); one that
    /// has it (e.g. an old copy in an output folder that was built over) is ignored.
    /// </summary>
    public static TemplateLibrary LoadDirectory(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        var legacy = Directory.EnumerateFiles(directory, "*.hbs")
            .Where(f => !File.Exists(Path.ChangeExtension(f, Extension)))
            .Order(StringComparer.Ordinal)
            .Select(f => new RuleError(null, Path.GetFileNameWithoutExtension(f), 1, 1,
                $"{f}: a Handlebars template; templates are Scriban files now: rewrite it as {Path.GetFileNameWithoutExtension(f)}{Extension} (see templates/README.md)"))
            .ToList();
        return Build(Directory.EnumerateFiles(directory, "*" + Extension)
            .Order(StringComparer.Ordinal)
            .Select(f => (Path.GetFileNameWithoutExtension(f), File.ReadAllText(f), (string?)f)), legacy);
    }

    private static TemplateLibrary Build(IEnumerable<(string Name, string Text, string? File)> sources, List<RuleError> errors)
    {
        var templates = new Dictionary<string, RuleTemplate>(StringComparer.Ordinal);
        foreach (var (name, text, file) in sources)
        {
            try
            {
                templates[name] = RuleTemplate.Parse(name, text, file);
            }
            catch (RuleSetException ex)
            {
                errors.AddRange(ex.Errors);
            }
        }

        return errors.Count > 0 ? throw new RuleSetException(errors) : new TemplateLibrary(templates);
    }
}
