using System.Text;
using Scriban;
using Scriban.Parsing;
using Scriban.Runtime;
using Scriban.Syntax;

namespace Alerting.Rules.Templates;

/// <summary>
/// The strict Scriban context a rule template renders in: no built-in functions or template loader, no
/// .NET members, undefined variables and member accesses are errors, loops, recursion and output are
/// bounded. Every value the template outputs is written through <see cref="RuleText.Format"/>; the text is
/// recorded with the template position it came from (see <see cref="RenderedRule"/>).
/// </summary>
internal sealed class RuleRenderContext : TemplateContext
{
    private const int MaxIterations = 1000;
    private const int MaxRecursion = 16;

    private readonly RecordingOutput _output;
    private ScriptNode? _statement;

    public RuleRenderContext(ScriptObject globals)
        : base(new ScriptObject(StringComparer.Ordinal), StringComparer.Ordinal)
    {
        StrictVariables = true;
        EnableRelaxedMemberAccess = false;
        EnableRelaxedTargetAccess = false;
        EnableRelaxedIndexerAccess = false;
        EnableRelaxedFunctionAccess = false;
        EnableNullIndexer = false;
        LoopLimit = MaxIterations;
        LoopLimitQueryable = MaxIterations;
        RecursiveLimit = MaxRecursion;
        ObjectRecursionLimit = MaxRecursion;
        LimitToString = RuleTemplate.MaxOutputLength;
        OnStringLimit = ScriptLimitBehavior.Throw;
        OutputLimit = RuleTemplate.MaxOutputLength;
        OnOutputLimit = ScriptLimitBehavior.Throw;
        MemberFilter = static _ => false;
        TemplateLoader = null;
        AutoIndent = false;
        NewLine = "\n";
        PushGlobal(globals);
        _output = new RecordingOutput(this);
        PushOutput(_output);
    }

    public RenderedRule Result() => new(_output.Text.ToString(), [.. _output.Segments]);

    public override object? Evaluate(ScriptNode? scriptNode, bool aliasReturnedFunction)
    {
        if (scriptNode is ScriptExpressionStatement)
        {
            _statement = scriptNode;
        }

        return base.Evaluate(scriptNode, aliasReturnedFunction);
    }

    public override TemplateContext Write(SourceSpan span, object? textAsObject)
    {
        string text;
        try
        {
            text = RuleText.Format(textAsObject);
        }
        catch (FormatException ex)
        {
            throw new ScriptRuntimeException(_statement?.Span ?? span, ex.Message);
        }

        return text.Length == 0 ? this : Write(text);
    }

    /// <summary>Where the output goes: the text, and per write the template position it came from.</summary>
    private sealed class RecordingOutput(RuleRenderContext context) : IScriptOutput
    {
        public StringBuilder Text { get; } = new();

        public List<(int Offset, int Line, int Column, bool Raw)> Segments { get; } = [];

        public void Write(string text, int offset, int count)
        {
            if (count <= 0)
            {
                return;
            }

            var at = context.CurrentNode is ScriptRawStatement raw
                ? (raw.Span.Start, true)
                : (context._statement?.Span.Start ?? default, false);
            Segments.Add((Text.Length, at.Item1.Line + 1, at.Item1.Column + 1, at.Item2));
            Text.Append(text, offset, count);
        }

        public ValueTask WriteAsync(string text, int offset, int count, CancellationToken cancellationToken)
        {
            Write(text, offset, count);
            return ValueTask.CompletedTask;
        }
    }
}

/// <summary>Static checks of a parsed template.</summary>
internal static class TemplateChecks
{
    /// <summary>
    /// What a template may not do, in every branch: use a variable that is neither declared nor set by the
    /// template (assignment, loop, capture), or define a function. Each finding is its position and message.
    /// </summary>
    public static IReadOnlyList<(SourceSpan Span, string Message)> Check(ScriptNode? root, IReadOnlyCollection<string> declared)
    {
        var known = new HashSet<string>(declared, StringComparer.Ordinal) { "for", "while" }; // the loop objects (for.index, for.first, …)
        var uses = new List<ScriptVariable>();
        var findings = new List<(SourceSpan Span, string Message)>();
        Walk(root, known, uses, findings, isMember: false);
        var list = string.Join(", ", declared);
        findings.AddRange(uses.Where(v => !known.Contains(v.Name))
            .Select(v => (v.Span, $"'{v.Name}' is neither a declared parameter ({list}) nor set by the template; templates have no built-in functions")));
        return findings.OrderBy(f => f.Span.Start.Offset).ToList();
    }

    private static void Walk(ScriptNode? node, HashSet<string> known, List<ScriptVariable> uses, List<(SourceSpan, string)> findings, bool isMember)
    {
        switch (node)
        {
            case null:
                return;
            case ScriptAssignExpression { Target: ScriptVariable target }:
                known.Add(target.Name);
                break;
            case ScriptForStatement { Variable: ScriptVariable loop }:
                known.Add(loop.Name);
                break;
            case ScriptCaptureStatement { Target: ScriptVariable capture }:
                known.Add(capture.Name);
                break;
            case ScriptFunction function:
                findings.Add((function.Span, "templates cannot define functions"));
                return;
            case ScriptVariableGlobal global when !isMember:
                uses.Add(global);
                break;
        }

        for (var i = 0; i < node.ChildrenCount; i++)
        {
            var child = node.GetChildren(i);
            var isName = (node is ScriptMemberExpression member && ReferenceEquals(child, member.Member))
                || (node is ScriptObjectMember key && ReferenceEquals(child, key.Name)); // { name: value }
            Walk(child, known, uses, findings, isName);
        }
    }
}
