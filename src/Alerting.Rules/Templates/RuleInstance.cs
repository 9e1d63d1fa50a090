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

    /// <summary>
    /// How far back, before the effective time of the set that adds this rule (or changes its version), the rule is
    /// run alone over each partition's history before it goes live; null: the rule starts from the effective time.
    /// </summary>
    public TimeSpan? Bootstrap { get; init; }

    /// <summary>What happens to the alerts the bootstrap finds in history (default <see cref="BootstrapAlerts.Emit"/>).</summary>
    public BootstrapAlerts BootstrapAlerts { get; init; } = BootstrapAlerts.Emit;

    /// <summary>The longest look-back a rule may declare: history past it is beyond any retention the service is run with.</summary>
    public static readonly TimeSpan MaxBootstrap = TimeSpan.FromDays(7);

    /// <summary>The rule file's spelling of <paramref name="mode"/>: <c>emit</c> or <c>suppress</c>.</summary>
    public static string BootstrapAlertsName(BootstrapAlerts mode) => mode == BootstrapAlerts.Suppress ? "suppress" : "emit";

    /// <summary>Reads <c>emit</c> or <c>suppress</c>; null for anything else.</summary>
    public static BootstrapAlerts? ParseBootstrapAlerts(string? text) => text switch
    {
        "emit" => BootstrapAlerts.Emit,
        "suppress" => BootstrapAlerts.Suppress,
        _ => null,
    };
}

/// <summary>What a bootstrap does with the alerts it finds in history.</summary>
public enum BootstrapAlerts
{
    /// <summary>Produced like live alerts, with the header <c>alerting-bootstrap: true</c>.</summary>
    Emit,

    /// <summary>Not produced: the bootstrap only builds the rule's state (partial matches, timers, open alerts).</summary>
    Suppress,
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
