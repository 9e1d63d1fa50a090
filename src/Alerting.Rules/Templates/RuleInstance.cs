namespace Alerting.Rules;

/// <summary>
/// A rule as operators keep it (a row of alert_rules or an entry of a rule file): an id, the template it
/// instantiates, the parameter values, whether it is enabled and its version. Parameter values are
/// strings, integers, numbers, booleans, lists of those, or <see cref="System.Text.Json.JsonElement"/>s.
/// </summary>
public sealed record RuleInstance(string Id, string Template, IReadOnlyDictionary<string, object?> Parameters, bool Enabled = true, int Version = 1);
