namespace Alerting.Rules;

/// <summary>Settings of the <see cref="RuleEngine"/>.</summary>
public sealed record RuleEngineOptions
{
    /// <summary>
    /// How far behind the watermark an event may still arrive and be matched (the upstream watermark stage
    /// routes later ones aside). Partial matches are kept for window + allowed lateness.
    /// </summary>
    public TimeSpan AllowedLateness { get; init; } = TimeSpan.Zero;

    /// <summary>How long an alert stays open for a revoke after its alert time; then it is forgotten.</summary>
    public TimeSpan OpenAlertTimeToLive { get; init; } = TimeSpan.FromHours(24);

    /// <summary>
    /// The most partial matches a sequence rule (one with named steps, quantifiers, contiguity, negations, a skip
    /// strategy or an on-timeout alert) keeps per device; a partial match past it is not kept and is counted in
    /// <see cref="RuleEngine.PartialMatchesDropped"/>.
    /// </summary>
    public int MaxPartialMatches { get; init; } = 64;
}
