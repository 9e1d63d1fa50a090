namespace Alerting.Rules;

/// <summary>
/// A rule as operators keep it (a row of alert_rules or an entry of a rule file): an id, the template it
/// instantiates, the parameter values, whether it is enabled and its version. Parameter values are
/// strings, integers, numbers, booleans, lists of those, or <see cref="System.Text.Json.JsonElement"/>s.
/// </summary>
public sealed record RuleInstance(string Id, string Template, IReadOnlyDictionary<string, object?> Parameters, bool Enabled = true, int Version = 1)
{
    /// <summary>Where the rule was written (a rule file), so its errors can name file, line and column; null when unknown (a table row).</summary>
    public RuleOrigin? Origin { get; init; }
}

/// <summary>
/// The place of a rule in a rule file: the file, the rule's own position, and the positions of its settings
/// by key (<c>template</c>, <c>params.codeA</c>, …). Positions are 1-based.
/// </summary>
public sealed record RuleOrigin(string File, int Line, int Column)
{
    /// <summary>Positions of the rule's settings by key, e.g. <c>template</c> or <c>params.window</c>.</summary>
    public IReadOnlyDictionary<string, (int Line, int Column)> Keys { get; init; } = new Dictionary<string, (int Line, int Column)>();

    /// <summary>The position of a setting, else of the rule.</summary>
    public (int Line, int Column) Of(string key) => Keys.TryGetValue(key, out var p) ? p : (Line, Column);
}
