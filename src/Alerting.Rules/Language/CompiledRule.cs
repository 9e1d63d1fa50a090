using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>
/// A rule instance compiled once to delegates: its pattern operator, window, the event patterns of its
/// steps, its <c>unless</c> and <c>revoke when</c> alternatives, and what the alert it raises looks like.
/// Immutable; shared by every device.
/// </summary>
public sealed class CompiledRule
{
    internal CompiledRule(string id, int version, string? template, string text, RuleSyntax syntax, EventMatcher[] steps, EventMatcher[] unless, EventMatcher[] revoke, SequencePattern? sequence = null)
    {
        Sequence = sequence;
        Id = id;
        Version = version;
        Template = template;
        Text = text;
        Operator = syntax.Operator;
        WindowMs = syntax.WithinMs;
        Count = syntax.Count;
        AlertType = syntax.AlertType;
        Priority = syntax.Priority;
        Delay = TimeSpan.FromMilliseconds(syntax.DelayMs);
        Info = syntax.Info;
        Steps = steps;
        Unless = unless;
        Revoke = revoke;
    }

    public string Id { get; }

    public int Version { get; }

    /// <summary>The template the rule was rendered from, or null.</summary>
    public string? Template { get; }

    /// <summary>The rule's text in the rule language (rendered from its template).</summary>
    public string Text { get; }

    public PatternOperator Operator { get; }

    /// <summary>The <c>within</c> window in milliseconds.</summary>
    public long WindowMs { get; }

    /// <summary>N of <c>count(..) &gt;= N</c>; 0 for other operators.</summary>
    public int Count { get; }

    public string AlertType { get; }

    public int Priority { get; }

    public TimeSpan Delay { get; }

    public string Info { get; }

    /// <summary>Whether the rule has a <c>revoke when</c> clause (so its open alerts are tracked).</summary>
    public bool Revocable => Revoke.Length > 0 || Sequence?.Revoke.Length > 0;

    /// <summary>
    /// The sequence automaton's pattern of a <see cref="PatternOperator.Sequence"/> rule, else null. Such a rule
    /// keeps its steps and clauses here only, so the index and the matcher of the other operators never see it.
    /// </summary>
    internal SequencePattern? Sequence { get; }

    /// <summary>The alert type of a partial match that times out (<c>on timeout alert</c>), or null.</summary>
    public string? TimeoutAlertType => Sequence?.TimeoutAlertType;

    internal EventMatcher[] Steps { get; }

    internal EventMatcher[] Unless { get; }

    internal EventMatcher[] Revoke { get; }


    /// <summary>Compiles one rule written in the rule language; throws <see cref="RuleSyntaxException"/> with line and column.</summary>
    public static CompiledRule Compile(string id, int version, string text, EventSchema schema, string? template = null, TimeSpan? regexTimeout = null)
    {
        ArgumentNullException.ThrowIfNull(id);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(schema);
        var syntax = Parser.Parse(text);
        var compiler = new ConditionCompiler(schema, regexTimeout ?? TimeSpan.FromMilliseconds(50));
        if (syntax.Sequence is { } sequence)
        {
            var pattern = SequencePattern.Compile(sequence, compiler, syntax.Unless, syntax.Revoke);
            return new CompiledRule(id, version, template, text, syntax, [], [], [], pattern);
        }

        var steps = syntax.Steps.Select(compiler.CompilePattern).ToArray();
        var unless = syntax.Unless.Select(compiler.CompilePattern).ToArray();
        var revoke = syntax.Revoke.Select(compiler.CompilePattern).ToArray();
        return new CompiledRule(id, version, template, text, syntax, steps, unless, revoke);
    }

    public override string ToString() => $"{Id} v{Version}";
}
