using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Configuration;
using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Storage;
using Alerting.Rules.Templates;
using Alerting.Rules.Trial;

namespace Alerting.Cli;

/// <summary>The <c>rules</c> commands.</summary>
internal static class RulesCommands
{
    public static int Validate(FileInfo rulesFile, DirectoryInfo? templatesDir, FileInfo? config, TextWriter stdout, TextWriter stderr)
    {
        if (!TryLoad(rulesFile, templatesDir, config, stderr, out var set, out _))
        {
            return AlertCtl.InvalidRules;
        }

        stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{set.Rules.Count} rule(s) valid"));
        return 0;
    }

    public static int Test(FileInfo rulesFile, FileInfo eventsFile, DirectoryInfo? templatesDir, FileInfo? config, TextWriter stdout, TextWriter stderr)
    {
        if (!TryLoad(rulesFile, templatesDir, config, stderr, out var set, out var source))
        {
            return AlertCtl.InvalidRules;
        }

        if (!eventsFile.Exists)
        {
            stderr.WriteLine($"events file not found: {eventsFile.FullName}");
            return 1;
        }

        var buffer = new MemoryStream();
        RuleTrial.Run(
            set,
            source,
            File.ReadLines(eventsFile.FullName),
            eventsFile.Name,
            alert => stdout.WriteLine(AlertJson.Format(alert, buffer)),
            (line, why) => stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"line {line}: {why}")));
        return 0;
    }

    private static bool TryLoad(FileInfo rulesFile, DirectoryInfo? templatesDir, FileInfo? config, TextWriter stderr, out RuleSet set, out SourceDefinition source) =>
        TryLoad(rulesFile, templatesDir, config, stderr, out set, out source, out _);

    /// <summary>Reads and compiles a rule file; every error goes to <paramref name="stderr"/> with its rule, template, line and column.</summary>
    internal static bool TryLoad(FileInfo rulesFile, DirectoryInfo? templatesDir, FileInfo? config, TextWriter stderr, out RuleSet set, out SourceDefinition source, out IReadOnlyList<RuleInstance> instances)
    {
        set = null!;
        instances = [];
        source = new SourceDefinition();
        try
        {
            var sources = config is null ? [new SourceDefinition()] : SourceDefinition.CreateAll(HoconDocument.Load(config.FullName).Config);
            source = sources[0];
            var schema = SourceDefinition.SharedSchema(sources);
            if (!rulesFile.Exists)
            {
                stderr.WriteLine($"rules file not found: {rulesFile.FullName}");
                return false;
            }

            var dir = templatesDir?.FullName ?? DefaultTemplates();
            var library = TemplateLibrary.LoadDirectory(dir);
            var rules = RuleFile.Load(rulesFile.FullName);
            var compiled = RuleSetCompiler.Compile(1, rules, library, schema);
            if (!compiled.Succeeded)
            {
                foreach (var error in compiled.Errors)
                {
                    stderr.WriteLine(error.ToString());
                }

                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"rule set refused: {compiled.Errors.Count} error(s)"));
                return false;
            }

            set = compiled.RuleSet!;
            instances = rules;
            return true;
        }
        catch (RuleSetException ex)
        {
            foreach (var error in ex.Errors)
            {
                stderr.WriteLine(error.ToString());
            }

            stderr.WriteLine("rule set refused");
            return false;
        }
        catch (Exception ex) when (ex is HoconException or ConfigurationValueException or SourceConfigurationException or IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine(ex.Message);
            return false;
        }
    }

    private static string DefaultTemplates()
    {
        var local = Path.Combine(Directory.GetCurrentDirectory(), "templates");
        return Directory.Exists(local) ? local : Path.Combine(AppContext.BaseDirectory, "templates");
    }
}

/// <summary>The JSON line printed for each alert.</summary>
internal static class AlertJson
{
    public static string Iso(long ms) => RuleTrial.Iso(ms);

    public static string Format(AlertEvent a, MemoryStream buffer) => RuleTrial.Format(a, buffer);
}
