namespace Alerting.Rules.Live;

/// <summary>A compiled rule-set version and the event time it takes effect at (Unix ms).</summary>
/// <param name="Version">The version; 0 is the set a node starts with before any version was applied (its rule file).</param>
/// <param name="EffectiveAt">Events at or after this event time match this set.</param>
/// <param name="Rules">The compiled set; its <see cref="RuleSet.Version"/> is <paramref name="Version"/>.</param>
public sealed record LiveRuleSet(long Version, long EffectiveAt, RuleSet Rules)
{
    /// <summary>
    /// The rules of the set that declare a bootstrap over history (enabled ones only): when a partition swaps to this
    /// set, each of them that its previous set did not have with the same id and version is run over the partition's
    /// history before it goes live.
    /// </summary>
    public IReadOnlyList<RuleBootstrapDeclaration> Bootstraps { get; init; } = [];
}

/// <summary>A rule's bootstrap over history as its rule set declares it.</summary>
/// <param name="RuleId">The rule's id.</param>
/// <param name="RuleVersion">The rule's version.</param>
/// <param name="LookBack">How far before the set's effective time the history starts.</param>
/// <param name="Alerts">Whether the alerts found in history are produced.</param>
public sealed record RuleBootstrapDeclaration(string RuleId, int RuleVersion, TimeSpan LookBack, BootstrapAlerts Alerts)
{
    /// <summary>The declarations of the enabled rules of <paramref name="rules"/> that have a bootstrap.</summary>
    public static IReadOnlyList<RuleBootstrapDeclaration> Of(IEnumerable<RuleInstance> rules)
    {
        ArgumentNullException.ThrowIfNull(rules);
        return [.. rules.Where(r => r.Enabled && r.Bootstrap is not null).Select(r => new RuleBootstrapDeclaration(r.Id, r.Version, r.Bootstrap!.Value, r.BootstrapAlerts))];
    }
}

/// <summary>
/// The rule-set versions a node knows, in version order: the base set (version 0, from the rule file) and every
/// version read from the control topic. Written by the control topic's follower, read by each partition's match stage
/// between two elements (an immutable array swapped whole: readers take no lock and always see a consistent list).
/// Every version is kept, so a partition restored from a checkpoint taken under an older version resumes under it.
/// </summary>
public sealed class LiveRuleSets
{
    private readonly Lock _write = new();
    private volatile LiveRuleSet[] _versions;

    /// <param name="baseSet">The set in force before any version: a copy of it becomes version 0, effective from the start of time.</param>
    public LiveRuleSets(RuleSet baseSet)
    {
        ArgumentNullException.ThrowIfNull(baseSet);
        _versions = [new LiveRuleSet(0, long.MinValue, baseSet.Version == 0 ? baseSet : RuleSet.Create(0, baseSet.Rules, baseSet.Schema))];
    }

    /// <summary>Every known version, oldest first; never empty.</summary>
    public IReadOnlyList<LiveRuleSet> Versions => _versions;

    /// <summary>The newest known version.</summary>
    public LiveRuleSet Latest => _versions[^1];

    /// <summary>The base set (version 0).</summary>
    public RuleSet Base => _versions[0].Rules;

    /// <summary>Adds a version; false when it is already known (a control record read again) or not newer than the latest.</summary>
    public bool Add(LiveRuleSet version)
    {
        ArgumentNullException.ThrowIfNull(version);
        if (version.Rules.Version != version.Version)
        {
            throw new ArgumentException($"rule set version {version.Rules.Version} given as version {version.Version}", nameof(version));
        }

        lock (_write)
        {
            var versions = _versions;
            if (version.Version <= versions[^1].Version)
            {
                return false;
            }

            _versions = [.. versions, version];
            return true;
        }
    }

    /// <summary>The version numbered <paramref name="version"/>, or null when unknown.</summary>
    public LiveRuleSet? Find(long version)
    {
        foreach (var v in _versions)
        {
            if (v.Version == version)
            {
                return v;
            }
        }

        return null;
    }

    /// <summary>The newest version whose effective time is at or before <paramref name="eventTime"/> (the set a fresh partition starts with).</summary>
    public LiveRuleSet InForceAt(long eventTime)
    {
        var versions = _versions;
        for (var i = versions.Length - 1; i > 0; i--)
        {
            if (versions[i].EffectiveAt <= eventTime)
            {
                return versions[i];
            }
        }

        return versions[0];
    }

    /// <summary>
    /// The next version to put in force after <paramref name="activeVersion"/>, if its effective time is at or before
    /// <paramref name="watermark"/>; versions take effect one after the other, in version order.
    /// </summary>
    public LiveRuleSet? NextDue(long activeVersion, long watermark)
    {
        var versions = _versions;
        if (versions[^1].Version <= activeVersion)
        {
            return null; // the common case: nothing newer
        }

        foreach (var v in versions)
        {
            if (v.Version > activeVersion)
            {
                return v.EffectiveAt <= watermark ? v : null;
            }
        }

        return null;
    }
}
