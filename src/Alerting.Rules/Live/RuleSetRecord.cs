using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Alerting.Rules.Live;

/// <summary>
/// An applied rule set as it travels on the control topic and sits in <c>alert_rule_sets</c>: its version, the
/// event time it takes effect at (Unix ms) and its rule instances. The control topic is compacted and keyed by
/// <see cref="Key"/> (one key per version), so every version stays readable: a partition restored from a checkpoint
/// taken under an older version finds that version's rules there.
/// </summary>
/// <param name="Version">The set's version, 1, 2, …; given by the store when the set is applied.</param>
/// <param name="EffectiveAt">Event time (Unix ms) from which events match this set; events before it match the previous one.</param>
/// <param name="Rules">The rule instances of the set, disabled ones included.</param>
public sealed record RuleSetRecord(long Version, long EffectiveAt, IReadOnlyList<RuleInstance> Rules)
{
    /// <summary>The record's key on the control topic: <c>rule-set/</c> and the version in 19 digits, so keys sort by version.</summary>
    public string Key => KeyOf(Version);

    /// <summary>The control-topic key of <paramref name="version"/>.</summary>
    public static string KeyOf(long version) => "rule-set/" + version.ToString("D19", CultureInfo.InvariantCulture);

    /// <summary>
    /// The rules as a JSON array of <c>{ id, template, params, enabled, version }</c>, plus <c>bootstrapMs</c> and
    /// <c>bootstrapAlerts</c> for a rule that declares a bootstrap (records written before bootstraps existed lack them).
    /// </summary>
    public static string RulesToJson(IEnumerable<RuleInstance> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            WriteRules(w, rules);
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    /// <summary>Reads rules written by <see cref="RulesToJson"/>; parameter values come back as <see cref="JsonElement"/>s.</summary>
    /// <exception cref="InvalidDataException">The text is not such an array.</exception>
    public static IReadOnlyList<RuleInstance> RulesFromJson(string json, string origin)
    {
        try
        {
            using var doc = JsonDocument.Parse(json);
            return ReadRules(doc.RootElement, origin);
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{origin}: not a rule array: {ex.Message}", ex);
        }
    }

    /// <summary>The control-topic value: <c>{ "version", "effectiveAt", "rules": [ … ] }</c> in UTF-8 JSON.</summary>
    public byte[] ToBytes()
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteNumber("version", Version);
            w.WriteNumber("effectiveAt", EffectiveAt);
            w.WritePropertyName("rules");
            WriteRules(w, Rules);
            w.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a control-topic value.</summary>
    /// <exception cref="InvalidDataException">The value is not a rule-set record.</exception>
    public static RuleSetRecord FromBytes(ReadOnlySpan<byte> value)
    {
        try
        {
            var reader = new Utf8JsonReader(value);
            using var doc = JsonDocument.ParseValue(ref reader);
            var root = doc.RootElement;
            var version = root.GetProperty("version").GetInt64();
            var origin = $"control record {KeyOf(version)}";
            return new RuleSetRecord(version, root.GetProperty("effectiveAt").GetInt64(), ReadRules(root.GetProperty("rules"), origin));
        }
        catch (Exception ex) when (ex is JsonException or KeyNotFoundException or InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"not a rule-set record: {ex.Message}", ex);
        }
    }

    private static void WriteRules(Utf8JsonWriter w, IEnumerable<RuleInstance> rules)
    {
        w.WriteStartArray();
        foreach (var rule in rules)
        {
            w.WriteStartObject();
            w.WriteString("id", rule.Id);
            w.WriteString("template", rule.Template);
            w.WritePropertyName("params");
            JsonSerializer.Serialize(w, rule.Parameters);
            w.WriteBoolean("enabled", rule.Enabled);
            w.WriteNumber("version", rule.Version);
            if (rule.Bootstrap is { } bootstrap)
            {
                w.WriteNumber("bootstrapMs", (long)bootstrap.TotalMilliseconds);
                w.WriteString("bootstrapAlerts", RuleInstance.BootstrapAlertsName(rule.BootstrapAlerts));
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    private static List<RuleInstance> ReadRules(JsonElement array, string origin)
    {
        var rules = new List<RuleInstance>(array.GetArrayLength());
        var at = new RuleOrigin(origin, 0, 0);
        foreach (var r in array.EnumerateArray())
        {
            var parameters = r.GetProperty("params").EnumerateObject()
                .ToDictionary(p => p.Name, p => (object?)p.Value.Clone(), StringComparer.Ordinal);
            rules.Add(new RuleInstance(
                r.GetProperty("id").GetString() ?? "",
                r.GetProperty("template").GetString() ?? "",
                parameters,
                r.GetProperty("enabled").GetBoolean(),
                r.GetProperty("version").GetInt32())
            {
                Origin = at,
                Bootstrap = r.TryGetProperty("bootstrapMs", out var ms) ? TimeSpan.FromMilliseconds(ms.GetInt64()) : null,
                BootstrapAlerts = r.TryGetProperty("bootstrapAlerts", out var mode)
                    ? RuleInstance.ParseBootstrapAlerts(mode.GetString()) ?? throw new FormatException($"bootstrapAlerts \"{mode.GetString()}\" is not emit or suppress")
                    : BootstrapAlerts.Emit,
            });
        }

        return rules;
    }
}
