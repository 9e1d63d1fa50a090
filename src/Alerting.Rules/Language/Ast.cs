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
}

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
    string Info);
