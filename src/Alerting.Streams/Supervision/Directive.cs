namespace Alerting.Streams;

/// <summary>What a stage does with an element whose processing threw.</summary>
public enum Directive
{
    /// <summary>Fail the stage: the exception travels downstream and upstream is cancelled.</summary>
    Stop,

    /// <summary>Drop the element (it goes, with the exception, to the dead-letter output if one is set) and go on.</summary>
    Resume,

    /// <summary>Drop the element like <see cref="Resume"/> and reset the stage's state to its initial value.</summary>
    Restart,
}

/// <summary>Decides a <see cref="Directive"/> for an exception thrown by a stage's user function.</summary>
public delegate Directive Decider(Exception exception);

/// <summary>An element a stage dropped under supervision, with the exception and the stage's name.</summary>
public sealed record DeadLetter(string Stage, object? Element, Exception Exception);
