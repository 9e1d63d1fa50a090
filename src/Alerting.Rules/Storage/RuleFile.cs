using System.Globalization;
using Alerting.Configuration;

namespace Alerting.Rules.Storage;

/// <summary>
/// Reads rule instances from HOCON: <c>rules = [ { id, template, params { … }, enabled = true, version = 1 } … ]</c>.
/// A structural error (a missing id, params that are not an object, a file that does not parse) is a
/// <see cref="RuleSetException"/> whose errors carry the file's line and column.
/// </summary>
public static class RuleFile
{
    /// <summary>Reads a rule file.</summary>
    public static IReadOnlyList<RuleInstance> Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        HoconObject root;
        try
        {
            root = HoconParser.ParseFile(path);
        }
        catch (HoconException ex)
        {
            throw new RuleSetException([new RuleError(null, null, ex.Line, ex.Column, $"{ex.File}: {ex.Detail}")]);
        }

        return Read(root);
    }

    /// <summary>Reads rules from HOCON text.</summary>
    public static IReadOnlyList<RuleInstance> Parse(string text, string sourceName = "(rules)")
    {
        HoconObject root;
        try
        {
            root = HoconParser.Parse(text, sourceName);
        }
        catch (HoconException ex)
        {
            throw new RuleSetException([new RuleError(null, null, ex.Line, ex.Column, $"{ex.File}: {ex.Detail}")]);
        }

        return Read(root);
    }

    /// <summary>Reads the <c>rules</c> array of a parsed HOCON tree.</summary>
    public static IReadOnlyList<RuleInstance> Read(HoconObject root)
    {
        ArgumentNullException.ThrowIfNull(root);
        var errors = new List<RuleError>();
        var rules = new List<RuleInstance>();
        RuleError At(HoconValue v, string? id, string? template, string message) =>
            new(id, template, v.Position.Line, v.Position.Column, $"{v.Position.File}: {message}");

        var list = root.Find("rules");
        if (list is not HoconArray array)
        {
            throw new RuleSetException([list is null
                ? new RuleError(null, null, 0, 0, "the file has no 'rules = [ … ]'")
                : At(list, null, null, "'rules' must be an array of rule objects")]);
        }

        foreach (var item in array)
        {
            if (item is not HoconObject o)
            {
                errors.Add(At(item, null, null, "a rule must be an object { id, template, params }"));
                continue;
            }

            var id = (o.Find("id") as HoconScalar)?.Text;
            var template = (o.Find("template") as HoconScalar)?.Text;
            if (string.IsNullOrEmpty(id) || string.IsNullOrEmpty(template))
            {
                errors.Add(At(o, id, template, "a rule needs an 'id' and a 'template'"));
                continue;
            }

            var parameters = new Dictionary<string, object?>(StringComparer.Ordinal);
            if (o.Find("params") is { } p)
            {
                if (p is not HoconObject po)
                {
                    errors.Add(At(p, id, template, "'params' must be an object"));
                    continue;
                }

                foreach (var field in po.Fields)
                {
                    parameters[field.Key] = ToValue(field.Value);
                }
            }

            bool enabled = true;
            int version = 1;
            try
            {
                enabled = o.GetBool("enabled", true);
                version = o.GetInt("version", 1);
            }
            catch (HoconException ex)
            {
                errors.Add(new RuleError(id, template, ex.Line, ex.Column, ex.Message));
                continue;
            }

            foreach (var key in o.Keys.Where(k => k is not ("id" or "template" or "params" or "enabled" or "version")))
            {
                errors.Add(At(o.Get(key), id, template, $"unknown rule setting '{key}' (id, template, params, enabled, version)"));
            }

            rules.Add(new RuleInstance(id, template, parameters, enabled, version));
        }

        return errors.Count > 0 ? throw new RuleSetException(errors) : rules;
    }

    private static object? ToValue(HoconValue value) => value switch
    {
        HoconArray a => a.Select(ToValue).ToList(),
        HoconScalar { ScalarKind: HoconScalarKind.Number } s when s.TryToLong(out var l) => l,
        HoconScalar { ScalarKind: HoconScalarKind.Number } s => double.Parse(s.Text, NumberStyles.Float, CultureInfo.InvariantCulture),
        HoconScalar { ScalarKind: HoconScalarKind.Boolean } s => s.TryToBool(out var b) && b,
        HoconScalar { ScalarKind: HoconScalarKind.Null } => null,
        HoconScalar s => s.Text,
        _ => value, // an object: the template parameter check refuses it
    };
}
