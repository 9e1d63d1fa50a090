using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>A compiled step of a sequence: its event pattern, quantifier, contiguity and the negations before it.</summary>
internal sealed class SequenceStep
{
    public SequenceStep(StepSyntax syntax, EventMatcher matcher, EventMatcher[] notNext, EventMatcher[] notFollowedBy)
    {
        Name = syntax.Name;
        Label = syntax.Label;
        Matcher = matcher;
        Min = syntax.Min;
        Max = syntax.Max;
        Reluctant = syntax.Reluctant;
        Contiguity = syntax.Contiguity;
        NotNext = notNext;
        NotFollowedBy = notFollowedBy;
    }

    public string Name { get; }

    public string Label { get; }

    public EventMatcher Matcher { get; }

    /// <summary>Fewest events the step takes (0: optional).</summary>
    public int Min { get; }

    /// <summary>Most events the step takes (<see cref="int.MaxValue"/> for oneOrMore).</summary>
    public int Max { get; }

    /// <summary>When the step could both take one more event and let the next step take it: the next step takes it.</summary>
    public bool Reluctant { get; }

    /// <summary>How the step's first event follows the event taken before it.</summary>
    public Contiguity Contiguity { get; }

    /// <summary>Events that must not be the very next event after the step before this one (<c>not next</c>).</summary>
    public EventMatcher[] NotNext { get; }

    /// <summary>Events that must not come between the step before this one and this one (<c>not followed by</c>).</summary>
    public EventMatcher[] NotFollowedBy { get; }

    /// <summary>Values later steps read from this step's latest event: (index in the match's captures, reader).</summary>
    public (int Index, Func<DeviceEvent, FieldValue> Read)[] Captures { get; set; } = [];
}

/// <summary>
/// The compiled form of a <c>seq</c> written with the sequence vocabulary (named steps, quantifiers, contiguity,
/// negations, a skip strategy, an on-timeout alert): what the sequence automaton in the engine runs.
/// </summary>
internal sealed class SequencePattern
{
    public required SequenceStep[] Steps { get; init; }

    /// <summary>A trailing <c>not followed by</c>: a match is held to the end of its window and raised only if none of these came.</summary>
    public required EventMatcher[] TrailingNotFollowedBy { get; init; }

    public required SkipStrategy Skip { get; init; }

    /// <summary>The step of <c>skip to first/last STEP</c>, or -1.</summary>
    public required int SkipStep { get; init; }

    /// <summary>Under <c>skip none</c>, the most matches one event (or one watermark) may complete.</summary>
    public required int MaxMatchesPerEvent { get; init; }

    /// <summary>The alert type of a partial match whose window runs out, or null (then it ends silently).</summary>
    public required string? TimeoutAlertType { get; init; }

    public required int TimeoutPriority { get; init; }

    /// <summary>Whether a full match raises the rule's alert (false for a rule with only <c>on timeout</c>).</summary>
    public required bool AlertOnMatch { get; init; }

    /// <summary>How many captured values a partial match carries.</summary>
    public required int CaptureCount { get; init; }

    public required EventMatcher[] Unless { get; init; }

    public required EventMatcher[] Revoke { get; init; }

    /// <summary>
    /// The kinds an event must have to concern the rule, or null when every event of the device does (a step or
    /// clause of any kind, strict contiguity or <c>not next</c>, which count every event).
    /// </summary>
    public required string[]? Kinds { get; init; }

    /// <summary>Compiles the sequence part of a rule; errors name the step they concern.</summary>
    public static SequencePattern Compile(SequenceSyntax syntax, ConditionCompiler compiler, IReadOnlyList<EventPatternSyntax> unless, IReadOnlyList<EventPatternSyntax> revoke)
    {
        var steps = new List<SequenceStep>();
        var captures = new List<(int Step, string Key)>();
        var readers = new List<List<(int, Func<DeviceEvent, FieldValue>)>>();
        var current = -1;
        var label = "";

        int Resolve(StepRefOperand r, Func<DeviceEvent, FieldValue> read)
        {
            var step = steps.FindIndex(s => s.Name == r.Step);
            if (step < 0)
            {
                var later = syntax.Steps.Any(s => s.Name == r.Step);
                throw new RuleSyntaxException(
                    later ? $"{label} refers to step '{r.Step}', which does not come before it" : $"{label} refers to step '{r.Step}', but no step has that name",
                    r.Line,
                    r.Column);
            }

            var key = r.Inner switch
            {
                FieldOperand f => f.Name,
                JsonPathOperand j => j.Path,
                _ => "",
            };
            var index = captures.IndexOf((step, key));
            if (index < 0)
            {
                index = captures.Count;
                captures.Add((step, key));
                readers[step].Add((index, read));
            }

            return index;
        }

        EventMatcher Pattern(EventPatternSyntax p)
        {
            try
            {
                return compiler.CompilePattern(p);
            }
            catch (RuleSyntaxException ex) when (!ex.Message.StartsWith(label, StringComparison.Ordinal))
            {
                throw new RuleSyntaxException($"{label}: {ex.Message}", ex.Line, ex.Column);
            }
        }

        compiler.ResolveStepRef = Resolve;
        try
        {
            foreach (var s in syntax.Steps)
            {
                current++;
                label = s.Label;
                var notNext = s.NotNext.Select(Pattern).ToArray();
                var notFollowedBy = s.NotFollowedBy.Select(Pattern).ToArray();
                var matcher = Pattern(s.Event);
                readers.Add([]);
                steps.Add(new SequenceStep(s, matcher, notNext, notFollowedBy));
            }

            label = "'not followed by' at the end";
            var trailing = syntax.TrailingNotFollowedBy.Select(Pattern).ToArray();
            compiler.ResolveStepRef = null;
            label = "unless";
            var unlessMatchers = unless.Select(Pattern).ToArray();
            label = "revoke when";
            var revokeMatchers = revoke.Select(Pattern).ToArray();
            for (var i = 0; i < steps.Count; i++)
            {
                steps[i].Captures = [.. readers[i]];
            }

            var all = steps.Select(s => s.Matcher).Concat(steps.SelectMany(s => s.NotNext.Concat(s.NotFollowedBy)))
                .Concat(trailing).Concat(unlessMatchers).Concat(revokeMatchers).ToList();
            var everyEvent = all.Any(m => m.Kind is null) || steps.Any(s => s.Contiguity == Contiguity.Strict || s.NotNext.Length > 0);
            return new SequencePattern
            {
                Steps = [.. steps],
                TrailingNotFollowedBy = trailing,
                Skip = syntax.Skip,
                SkipStep = syntax.SkipStep is null ? -1 : steps.FindIndex(s => s.Name == syntax.SkipStep),
                MaxMatchesPerEvent = syntax.MaxMatchesPerEvent,
                TimeoutAlertType = syntax.TimeoutAlertType,
                TimeoutPriority = syntax.TimeoutPriority,
                AlertOnMatch = syntax.AlertOnMatch,
                CaptureCount = captures.Count,
                Unless = unlessMatchers,
                Revoke = revokeMatchers,
                Kinds = everyEvent ? null : [.. all.Select(m => m.Kind!).Distinct(StringComparer.Ordinal)],
            };
        }
        finally
        {
            compiler.ResolveStepRef = null;
        }
    }
}

/// <summary>
/// The captured step values of the partial match whose conditions are being tested on this thread. The matcher
/// sets it around each test; a compiled step reference reads it. Compiled rules are shared by every engine, so
/// the values travel beside the event rather than inside the rule.
/// </summary>
internal static class SequenceCaptures
{
    [ThreadStatic]
    private static FieldValue[]? _current;

    public static FieldValue[]? Current
    {
        get => _current;
        set => _current = value;
    }

    public static FieldValue Read(int index)
    {
        var c = _current;
        return c is not null && index < c.Length ? c[index] : FieldValue.Missing;
    }
}
