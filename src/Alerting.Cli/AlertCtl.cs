using System.CommandLine;

namespace Alerting.Cli;

/// <summary>The <c>alertctl</c> command tree: <c>rules validate</c> and <c>rules test</c>, and the operations commands (<see cref="OpsCommands"/>).</summary>
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

        var rules = new Command("rules", "Rule sets: validate, test over events, apply live, list versions.") { validate, test };
        RulesApplyCommands.AddTo(rules, templatesOption, TimeProvider.System, stdout, stderr);
        var root = new RootCommand("alertctl: operate Alerting.") { rules, DbCommands.Command(stdout, stderr) };
        foreach (var command in OpsCommands.Create(stdout, stderr))
        {
            root.Subcommands.Add(command);
        }

        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0 && args.Length > 0 && OpsCommands.Names.Contains(args[0], StringComparer.Ordinal))
        {
            // The operations commands exit 2 on a usage error (the rules commands keep their own contract).
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine(error.Message);
            }
            return OpsCommands.Usage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = stdout, Error = stderr });
    }
}
