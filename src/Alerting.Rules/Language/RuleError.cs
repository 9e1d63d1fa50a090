using System.Globalization;

namespace Alerting.Rules;

/// <summary>
/// One error found in a template or a rule: which rule and template it concerns, where (1-based line and
/// column in the template file, or in the rule file for a parameter or template name given there; the
/// message then starts with that file) and what is wrong.
/// </summary>
/// <param name="RuleId">The rule instance id, or null for an error in a template on its own.</param>
/// <param name="Template">The template name, or null for a rule written directly in the rule language.</param>
/// <param name="Line">1-based line, 0 when the error has no position (e.g. a missing parameter).</param>
/// <param name="Column">1-based column, 0 when the error has no position.</param>
/// <param name="Message">What is wrong.</param>
public sealed record RuleError(string? RuleId, string? Template, int Line, int Column, string Message)
{
    public override string ToString()
    {
        var who = (RuleId, Template) switch
        {
            (not null, not null) => $"rule '{RuleId}' (template '{Template}')",
            (not null, null) => $"rule '{RuleId}'",
            (null, not null) => $"template '{Template}'",
            _ => "rule",
        };
        return Line > 0
            ? string.Create(CultureInfo.InvariantCulture, $"{who} at line {Line}, column {Column}: {Message}")
            : $"{who}: {Message}";
    }
}

/// <summary>Thrown by the rule language parser and compiler; carries the position of the error.</summary>
public sealed class RuleSyntaxException : Exception
{
    public RuleSyntaxException(string message, int line, int column)
        : base(message)
    {
        Line = line;
        Column = column;
    }

    public RuleSyntaxException()
    {
    }

    public RuleSyntaxException(string message)
        : base(message)
    {
    }

    public RuleSyntaxException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>1-based line of the error.</summary>
    public int Line { get; }

    /// <summary>1-based column of the error.</summary>
    public int Column { get; }
}
