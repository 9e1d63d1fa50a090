using Akka.Configuration;

namespace Alerting.Dispatch.Persistence;

/// <summary>
/// How the journal and snapshot store batch the reads of recoveries (<c>recovery-batch</c> in their plugin sections;
/// defaults and comments in this assembly's <c>reference.conf</c>).
/// </summary>
/// <param name="MaxSize">Most persistence ids read by one statement; 0 = no batching (one read per recovery, as Akka.Persistence.Sql does).</param>
/// <param name="MaxInFlight">Statements of one kind running at once.</param>
public sealed record RecoveryBatchSettings(int MaxSize, int MaxInFlight)
{
    /// <summary>Reads <c>recovery-batch</c> of a plugin section (absent keys: no batching).</summary>
    public static RecoveryBatchSettings Create(Config plugin)
    {
        ArgumentNullException.ThrowIfNull(plugin);
        var settings = new RecoveryBatchSettings(plugin.GetInt("recovery-batch.max-size", 0), plugin.GetInt("recovery-batch.max-in-flight", 1));
        ArgumentOutOfRangeException.ThrowIfNegative(settings.MaxSize, "recovery-batch.max-size");
        ArgumentOutOfRangeException.ThrowIfLessThan(settings.MaxInFlight, 1, "recovery-batch.max-in-flight");
        return settings;
    }
}
