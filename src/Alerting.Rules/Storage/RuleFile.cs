using System.Globalization;
using Akka.Configuration.Hocon;
using Alerting.Configuration;

namespace Alerting.Rules.Storage;

/// <summary>
/// Reads rule instances from HOCON: <c>rules = [ { id, template, params { … }, enabled = true, version = 1,
/// bootstrap = 2h, bootstrap-alerts = emit } … ]</c> (the last two optional: see <see cref="RuleInstance.Bootstrap"/>).
/// A structural error (a missing id, params that are not an object, a file that does not parse) is a
/// <see cref="RuleSetException"/> whose errors carry the file's line and column.
/// </summary>
public static class RuleFile
{
    private static readonly string[] Known = ["id", "template", "params", "enabled", "version", "bootstrap", "bootstrap-alerts"];

    /// <summary>Reads a rule file.</summary>
    public static IReadOnlyList<RuleInstance> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        return Read(() => HoconDocument.Load(path));
    }

    /// <summary>Reads rules from HOCON text.</summary>
    public static IReadOnlyList<RuleInstance> Parse(string text, string sourceName = "(rules)")
    {
        ArgumentNullException.ThrowIfNull(text);
        return Read(() => HoconDocument.Parse(text, sourceName));
    }

    private static IReadOnlyList<RuleInstance> Read(Func<HoconDocument> parse)
    {
        HoconDocument document;
        try
        {
            document = parse();
        }
        catch (HoconException ex)
        {
            throw new RuleSetException([new RuleError(null, null, ex.Line, ex.Column, $"{ex.File}: {ex.Detail}")]);
        }

        return Read(document);
    }

    /// <summary>Reads the <c>rules</c> array of a parsed HOCON document.</summary>
    public static IReadOnlyList<RuleInstance> Read(HoconDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new List<RuleError>();
        var rules = new List<RuleInstance>();
        RuleError At(string path, string? id, string? template, string message)
        {
            var p = document.PositionOf(path);
            return new(id, template, p.Line, p.Column, $"{p.File}: {message}");
        }

        var list = ConfigValues.Value(document.Config, "rules");
        if (list is null || !list.IsArray())
        {
            throw new RuleSetException([list is null
                ? new RuleError(null, null, 0, 0, "the file has no 'rules = [ … ]'")
                : At("rules", null, null, "'rules' must be an array of rule objects")]);
        }

        var items = list.GetArray();
        for (var i = 0; i < items.Count; i++)
        {
            var path = "rules." + i.ToString(CultureInfo.InvariantCulture);
            if (!items[i].IsObject())
            {
                errors.Add(At(path, null, null, "a rule must be an object { id, template, params }"));
                continue;
            }

            var o = items[i].GetObject().Items;
            var id = Scalar(o, "id");
            var template = Scalar(o, "template");
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(template))
            {
                errors.Add(At(path, id, template, "a rule needs an 'id' and a 'template'"));
                continue;
            }

            var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (o.TryGetValue("params", out var p))
            {
                if (!p.IsObject())
                {
                    errors.Add(At(path + ".params", id, template, "'params' must be an object"));
                    continue;
                }

                foreach (var (name, value) in p.GetObject().Items)
                {
                    parameters[name] = ToValue(document, $"{path}.params.{name}", value);
                }
            }

            var enabled = Scalar(o, "enabled") is { } e ? Boolean(e) : true;
            var version = 1;
            if (enabled is null)
            {
                errors.Add(At(path + ".enabled", id, template, $"{path}.enabled = \"{Scalar(o, "enabled")}\" is not a boolean (true/false, yes/no, on/off)"));
                continue;
            }

            if (Scalar(o, "version") is { } v && !int.TryParse(v, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out version))
            {
                errors.Add(At(path + ".version", id, template, $"{path}.version = \"{v}\" is not an integer"));
                continue;
            }

            TimeSpan? bootstrap = null;
            if (o.ContainsKey("bootstrap"))
            {
                var b = Scalar(o, "bootstrap");
                if (!HoconDuration.TryParse(b, out var look) || look <= TimeSpan.Zero || look > RuleInstance.MaxBootstrap)
                {
                    errors.Add(At(path + ".bootstrap", id, template, $"{path}.bootstrap = \"{b}\" is not a positive duration of at most {RuleInstance.MaxBootstrap.TotalDays:0} days (e.g. 2h)"));
                    continue;
                }

                bootstrap = look;
            }

            var bootstrapAlerts = BootstrapAlerts.Emit;
            if (o.ContainsKey("bootstrap-alerts"))
            {
                var m = Scalar(o, "bootstrap-alerts");
                if (RuleInstance.ParseBootstrapAlerts(m) is not { } mode)
                {
                    errors.Add(At(path + ".bootstrap-alerts", id, template, $"{path}.bootstrap-alerts = \"{m}\" is not emit or suppress"));
                    continue;
                }

                if (bootstrap is null)
                {
                    errors.Add(At(path + ".bootstrap-alerts", id, template, $"{path}.bootstrap-alerts is set but the rule has no bootstrap"));
                    continue;
                }

                bootstrapAlerts = mode;
            }

            foreach (var key in o.Keys.Where(k => !Known.Contains(k, StringComparer.Ordinal)))
            {
                errors.Add(At($"{path}.{key}", id, template, $"unknown rule setting '{key}' (id, template, params, enabled, version, bootstrap, bootstrap-alerts)"));
            }

            var at = document.PositionOf(path);
            var keys = new Dictionary<string, (int Line, int Column)>(StringComparer.Ordinal);
            foreach (var key in o.Keys)
            {
                var kp = document.PositionOf($"{path}.{key}");
                keys[key] = (kp.Line, kp.Column);
            }

            foreach (var name in parameters.Keys)
            {
                var pp = document.PositionOf($"{path}.params.{name}");
                keys["params." + name] = (pp.Line, pp.Column);
            }

            rules.Add(new RuleInstance(id, template, parameters, enabled.Value, version)
            {
                Origin = new RuleOrigin(at.File, at.Line, at.Column) { Keys = keys },
                Bootstrap = bootstrap,
                BootstrapAlerts = bootstrapAlerts,
            });
        }

        return errors.Count > 0 ? throw new RuleSetException(errors) : rules;
    }

    private static string? Scalar(IDictionary<string, HoconValue> o, string key) =>
        o.TryGetValue(key, out var v) && v.IsString() ? v.GetString() : null;

    private static bool? Boolean(string text) => text switch
    {
        "true" or "yes" or "on" => true,
        "false" or "no" or "off" => false,
        _ => null,
    };

    /// <summary>A parameter's value: an unquoted number is a long or a double, an unquoted boolean a bool, <c>null</c> null; a quoted one stays a string.</summary>
    private static object? ToValue(HoconDocument document, string path, HoconValue value)
    {
        if (value.IsArray())
        {
            return value.GetArray().Select((item, i) => ToValue(document, $"{path}.{i.ToString(CultureInfo.InvariantCulture)}", item)).ToList();
        }

        if (value.IsObject())
        {
            return value; // the template parameter check refuses it
        }

        var text = value.GetString();
        if (text is null)
        {
            return null;
        }

        if (document.IsQuoted(path))
        {
            return text;
        }

        var first = text.Length > 1 && text[0] is '-' or '+' ? text[1] : text.FirstOrDefault();
        if (char.IsAsciiDigit(first) && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l))
        {
            return l;
        }

        if (char.IsAsciiDigit(first) && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d))
        {
            return d;
        }

        return text switch
        {
            "true" => true,
            "false" => false,
            _ => text,
        };
    }
}
