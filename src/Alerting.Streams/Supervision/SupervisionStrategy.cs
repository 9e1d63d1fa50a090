namespace Alerting.Streams;

/// <summary>
/// Supervision of a stage, as in Akka: a <see cref="Decider"/> and an optional dead-letter side output that
/// receives every element dropped under <see cref="Directive.Resume"/> or <see cref="Directive.Restart"/>.
/// </summary>
public sealed class SupervisionStrategy
{
    /// <summary>Creates a strategy.</summary>
    public SupervisionStrategy(Decider decider, SideOutput<DeadLetter>? deadLetters = null)
    {
        Decider = decider ?? throw new ArgumentNullException(nameof(decider));
        DeadLetters = deadLetters;
    }

    /// <summary>Stops on every exception (the default).</summary>
    public static SupervisionStrategy Stopping { get; } = new(_ => Directive.Stop);

    /// <summary>Resumes on every exception.</summary>
    public static SupervisionStrategy Resuming(SideOutput<DeadLetter>? deadLetters = null) => new(_ => Directive.Resume, deadLetters);

    /// <summary>Restarts on every exception.</summary>
    public static SupervisionStrategy Restarting(SideOutput<DeadLetter>? deadLetters = null) => new(_ => Directive.Restart, deadLetters);

    /// <summary>The decider.</summary>
    public Decider Decider { get; }

    /// <summary>Where dropped elements go; null drops them silently.</summary>
    public SideOutput<DeadLetter>? DeadLetters { get; }

    /// <summary>
    /// Decides what to do with <paramref name="exception"/> thrown for <paramref name="element"/>; for Resume and
    /// Restart the element is offered to the dead letters (never blocking). A throwing decider counts as Stop.
    /// </summary>
    public Directive Decide(string stage, object? element, Exception exception)
    {
        Directive directive;
        try
        {
            directive = Decider(exception);
        }
#pragma warning disable CA1031 // a failing decider must not hide the original failure
        catch (Exception)
#pragma warning restore CA1031
        {
            return Directive.Stop;
        }
        if (directive != Directive.Stop)
        {
            DeadLetters?.Offer(new DeadLetter(stage, element, exception));
        }
        return directive;
    }
}
