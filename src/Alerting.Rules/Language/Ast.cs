using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>The pattern operator of a rule.</summary>
public enum PatternOperator
{
    /// <summary>Every listed event, in any order, within the window.</summary>
    All,
    /// <summary>The listed events in order (followed-by), within the window.</summary>
    Seq,
    /// <summary>At least N matching events within the window.</summary>
    Count,
    /// <summary>After a trigger, the expected event does not come within the window.</summary>
    Absent,
    /// <summary>
    /// A sequence of named steps with quantifiers, contiguity, negations, a skip strategy or an on-timeout alert:
    /// matched by the sequence automaton (<c>seq</c> written with any of those).
    /// </summary>
    Sequence,
}

/// <summary>How a step's first event relates to the event taken before it.</summary>
internal enum Contiguity
{
    /// <summary>Followed-by: other events may come in between (the default).</summary>
    Relaxed,
    /// <summary><c>next</c>: the very next event of the device.</summary>
    Strict,
    /// <summary><c>any</c>: followed-by-any; a partial match also stays waiting after taking an event.</summary>
    Any,
}

/// <summary>Which partial matches a full match discards (<c>skip ...</c>).</summary>
internal enum SkipStrategy
{
    PastLast,
    ToNext,
    ToFirst,
    ToLast,
    None,
}

/// <summary>
/// One step of a sequence: its name (given, or its 1-based position), the event it takes, how many times
/// (<see cref="Max"/> = <see cref="int.MaxValue"/> for oneOrMore), its contiguity and the negations that stand
/// between the step before it and this one.
/// </summary>
internal sealed record StepSyntax(
    string Name,
    EventPatternSyntax Event,
    int Min,
    int Max,
    bool Reluctant,
    Contiguity Contiguity,
    IReadOnlyList<EventPatternSyntax> NotNext,
    IReadOnlyList<EventPatternSyntax> NotFollowedBy,
    int Line,
    int Column)
{
    /// <summary>How errors name the step: <c>step 'b'</c>, or <c>step 2</c> for an unnamed one.</summary>
    public string Label => char.IsAsciiDigit(Name[0]) ? $"step {Name}" : $"step '{Name}'";
}

/// <summary>What a <c>seq</c> with the sequence vocabulary adds to a rule.</summary>
internal sealed record SequenceSyntax(
    IReadOnlyList<StepSyntax> Steps,
    IReadOnlyList<EventPatternSyntax> TrailingNotFollowedBy,
    SkipStrategy Skip,
    string? SkipStep,
    int MaxMatchesPerEvent,
    string? TimeoutAlertType,
    int TimeoutPriority,
    bool AlertOnMatch);

internal enum CompareOp
{
    Eq,
    NotEq,
    Lt,
    LtEq,
    Gt,
    GtEq,
}

internal abstract record Operand(int Line, int Column);

internal sealed record FieldOperand(string Name, int Line, int Column) : Operand(Line, Column);

internal sealed record JsonPathOperand(string Path, int Line, int Column) : Operand(Line, Column);

internal sealed record KindOperand(int Line, int Column) : Operand(Line, Column);

internal sealed record LiteralOperand(FieldValue Value, int Line, int Column) : Operand(Line, Column);

/// <summary><c>a.Field</c> or <c>a.$.Path</c>: a value of the latest event an earlier step of the same match took.</summary>
internal sealed record StepRefOperand(string Step, Operand Inner, int Line, int Column) : Operand(Line, Column);

internal abstract record Condition(int Line, int Column);

internal sealed record CompareCondition(Operand Left, CompareOp Op, Operand Right, int Line, int Column) : Condition(Line, Column);

internal sealed record InCondition(Operand Left, IReadOnlyList<LiteralOperand> Items, int Line, int Column) : Condition(Line, Column);

internal sealed record MatchesCondition(Operand Left, string Pattern, int Line, int Column) : Condition(Line, Column);

internal sealed record AndCondition(Condition Left, Condition Right, int Line, int Column) : Condition(Line, Column);

internal sealed record OrCondition(Condition Left, Condition Right, int Line, int Column) : Condition(Line, Column);

internal sealed record NotCondition(Condition Inner, int Line, int Column) : Condition(Line, Column);

/// <summary>An event kind (null for <c>any</c>) and an optional condition on the event's fields.</summary>
internal sealed record EventPatternSyntax(string? Kind, Condition? Where, int Line, int Column);

internal sealed record RuleSyntax(
    PatternOperator Operator,
    IReadOnlyList<EventPatternSyntax> Steps,
    int Count,
    long WithinMs,
    IReadOnlyList<EventPatternSyntax> Unless,
    IReadOnlyList<EventPatternSyntax> Revoke,
    string AlertType,
    int Priority,
    long DelayMs,
    string Info,
    SequenceSyntax? Sequence = null);
