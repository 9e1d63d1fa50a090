using System.CommandLine;

namespace Alerting.Cli;

/// <summary>The <c>alertctl</c> command tree: <c>rules validate</c> and <c>rules test</c>.</summary>
internal static class AlertCtl
{
    /// <summary>Exit code for rules or templates that are refused.</summary>
    public const int InvalidRules = 2;

    public static int Run(string[] args, TextWriter stdout, TextWriter stderr)
    {
        var rulesOption = new Option<FileInfo>("--rules") { Description = "HOCON rule file: rules = [ { id, template, params { … } } … ]", Required = true };
        var templatesOption = new Option<DirectoryInfo?>("--templates") { Description = "Folder of *.sbn (Scriban) rule templates (default: ./templates, else the ones shipped with alertctl)" };
        var eventsOption = new Option<FileInfo>("--events") { Description = "Events, one JSON record per line in the default source's shape, in arrival order", Required = true };
        var configOption = new Option<FileInfo?>("--config") { Description = "HOCON configuration whose alerting.sources defines the event source (default: the seed's source)" };

        var validate = new Command("validate", "Check a rule file against the templates and the event schema.") { rulesOption, templatesOption, configOption };
        validate.SetAction(parse => RulesCommands.Validate(
            parse.GetValue(rulesOption)!, parse.GetValue(templatesOption), parse.GetValue(configOption), stdout, stderr));

        var test = new Command("test", "Run rules over a file of events with the service's matcher and watermarks; print alerts as JSON lines.")
        {
            rulesOption, eventsOption, templatesOption, configOption,
        };
        test.SetAction(parse => RulesCommands.Test(
            parse.GetValue(rulesOption)!, parse.GetValue(eventsOption)!, parse.GetValue(templatesOption), parse.GetValue(configOption), stdout, stderr));

        var rules = new Command("rules", "Rule sets: validate, test over events.") { validate, test };
        var root = new RootCommand("alertctl: operate Alerting.") { rules, DbCommands.Command(stdout, stderr) };
        return root.Parse(args).Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
