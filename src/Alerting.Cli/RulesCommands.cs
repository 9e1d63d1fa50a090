using System.Globalization;
using System.Text;
using System.Text.Json;
using Alerting.Configuration;
using Alerting.Events;
using Alerting.Rules;
using Alerting.Rules.Storage;
using Alerting.Rules.Templates;

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

        // a replay has no wall clock to be ahead of: the future-skew check is measured against the end of time
        var decoder = new EventDecoder(source, new FarFuture(), set.Schema);
        var tracker = WatermarkTracker.For(source with { IdleTimeout = TimeSpan.Zero });
        var engine = new RuleEngine(set, new RuleEngineOptions { AllowedLateness = source.AllowedLateness });
        var output = new List<AlertEvent>();
        var buffer = new MemoryStream();

        void Emit()
        {
            foreach (var alert in output)
            {
                stdout.WriteLine(AlertJson.Format(alert, buffer));
            }

            output.Clear();
        }

        var lineNo = 0;
        foreach (var line in File.ReadLines(eventsFile.FullName))
        {
            lineNo++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            var result = decoder.Decode(Encoding.UTF8.GetBytes(line), new RecordOrigin(eventsFile.Name, 0, lineNo));
            if (!result.IsOk)
            {
                stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"line {lineNo}: {result}"));
                continue;
            }

            var ev = result.Event!;
            switch (tracker.Observe(ev))
            {
                case Lateness.TooLate:
                    stderr.WriteLine(string.Create(CultureInfo.InvariantCulture, $"line {lineNo}: too late (event time {Iso(ev.EventTime)} is behind the watermark {Iso(tracker.Watermark)} by more than the allowed lateness), skipped"));
                    continue;
                case Lateness.Late:
                    ev = ev.AsLate();
                    break;
            }

            engine.OnEvent(ev, output);
            if (tracker.Watermark != WatermarkTracker.NoWatermark)
            {
                engine.OnWatermark(tracker.Watermark, output);
            }

            Emit();
        }

        engine.Flush(output);
        Emit();
        return 0;
    }

    private static string Iso(long ms) => AlertJson.Iso(ms);

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

    /// <summary>A clock at the end of time, so no replayed event is ever "in the future".</summary>
    private sealed class FarFuture : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => new(9000, 1, 1, 0, 0, 0, TimeSpan.Zero);
    }
}

/// <summary>The JSON line printed for each alert.</summary>
internal static class AlertJson
{
    public static string Iso(long ms) => DateTimeOffset.FromUnixTimeMilliseconds(ms).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    public static string Format(AlertEvent a, MemoryStream buffer)
    {
        buffer.SetLength(0);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("kind", a.Kind == AlertKind.Generate ? "generate" : "revoke");
            w.WriteString("alertId", a.AlertId);
            w.WriteString("ruleId", a.RuleId);
            w.WriteNumber("ruleVersion", a.RuleVersion);
            w.WriteString("alertType", a.AlertType);
            w.WriteNumber("priority", a.Priority);
            w.WriteString("deviceId", a.DeviceId);
            w.WriteString("alertTime", Iso(a.AlertTime));
            w.WriteString("faultTime", Iso(a.FaultTime));
            w.WriteNumber("delayMs", (long)a.Delay.TotalMilliseconds);
            w.WriteString("info", a.Info);
            w.WriteStartArray("eventIds");
            foreach (var id in a.EventIds)
            {
                w.WriteStringValue(id);
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
    }
}
