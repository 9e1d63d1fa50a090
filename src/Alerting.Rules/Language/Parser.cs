using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>
/// Hand-written recursive-descent parser of the rule language (grammar in templates/README.md). Every error
/// is a <see cref="RuleSyntaxException"/> with the line and column of the offending token.
/// </summary>
internal sealed class Parser
{
    public const int MaxSteps = 16;

    private readonly List<Token> _tokens;
    private int _pos;

    private Parser(List<Token> tokens) => _tokens = tokens;

    public static RuleSyntax Parse(string text) => new Parser(Lexer.Tokenize(text)).ParseRule();

    private Token Peek => _tokens[_pos];

    private Token Next() => _tokens[_pos++];

    private static RuleSyntaxException Error(Token at, string message) => new(message, at.Line, at.Column);

    private Token ExpectWord(string word)
    {
        var t = Next();
        return t.IsWord(word) ? t : throw Error(t, $"expected '{word}' but found {t}");
    }

    private Token Expect(TokenKind kind, string what)
    {
        var t = Next();
        return t.Kind == kind ? t : throw Error(t, $"expected {what} but found {t}");
    }

    private bool AcceptWord(string word)
    {
        if (Peek.IsWord(word))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private RuleSyntax ParseRule()
    {
        ExpectWord("match");
        var opToken = Next();
        PatternOperator op;
        var steps = new List<EventPatternSyntax>();
        var elements = new List<ElementSyntax>();
        var count = 0;
        switch (opToken.Text)
        {
            case "all" when opToken.Kind == TokenKind.Identifier:
                op = PatternOperator.All;
                Expect(TokenKind.LParen, "'('");
                steps.Add(ParseEvent());
                while (Peek.Kind == TokenKind.Comma)
                {
                    _pos++;
                    steps.Add(ParseEvent());
                }

                Expect(TokenKind.RParen, "')' or ','");
                if (steps.Count > MaxSteps)
                {
                    throw Error(opToken, $"at most {MaxSteps} events in one pattern");
                }

                break;
            case "seq" when opToken.Kind == TokenKind.Identifier:
                op = PatternOperator.Seq;
                Expect(TokenKind.LParen, "'('");
                elements.Add(ParseElement());
                while (Peek.Kind == TokenKind.Comma)
                {
                    _pos++;
                    elements.Add(ParseElement());
                }

                Expect(TokenKind.RParen, "')' or ','");
                if (elements.Count(x => x.Negation is null) > MaxSteps)
                {
                    throw Error(opToken, $"at most {MaxSteps} events in one pattern");
                }

                if (elements.All(x => x.IsPlain))
                {
                    steps.AddRange(elements.Select(x => x.Event));
                }
                else
                {
                    op = PatternOperator.Sequence;
                }

                break;
            case "count" when opToken.Kind == TokenKind.Identifier:
                op = PatternOperator.Count;
                Expect(TokenKind.LParen, "'('");
                steps.Add(ParseEvent());
                Expect(TokenKind.RParen, "')'");
                Expect(TokenKind.GtEq, "'>='");
                var n = Expect(TokenKind.Integer, "an integer count");
                if (n.IntValue < 1 || n.IntValue > 100_000)
                {
                    throw Error(n, "count must be between 1 and 100000");
                }

                count = (int)n.IntValue;
                break;
            case "absent" when opToken.Kind == TokenKind.Identifier:
                op = PatternOperator.Absent;
                Expect(TokenKind.LParen, "'('");
                steps.Add(ParseEvent());
                Expect(TokenKind.Comma, "',' and the expected event");
                steps.Add(ParseEvent());
                Expect(TokenKind.RParen, "')'");
                break;
            default:
                throw Error(opToken, $"expected a pattern operator (all, seq, count, absent) but found {opToken}");
        }

        ExpectWord("within");
        var within = Expect(TokenKind.Duration, "a duration such as 1m");
        if (within.IntValue <= 0)
        {
            throw Error(within, "the window must be positive");
        }

        IReadOnlyList<EventPatternSyntax> unless = [];
        IReadOnlyList<EventPatternSyntax> revoke = [];
        SkipSyntax? skip = null;
        string? timeoutType = null;
        var timeoutPriority = 0;
        while (true)
        {
            var t = Peek;
            if (t.IsWord("unless"))
            {
                _pos++;
                if (unless.Count > 0)
                {
                    throw Error(t, "'unless' is given twice");
                }

                if (op == PatternOperator.Absent)
                {
                    throw Error(t, "'unless' does not apply to absent");
                }

                unless = ParseAlternatives();
            }
            else if (t.IsWord("revoke"))
            {
                _pos++;
                ExpectWord("when");
                if (revoke.Count > 0)
                {
                    throw Error(t, "'revoke when' is given twice");
                }

                revoke = ParseAlternatives();
            }
            else if (t.IsWord("skip"))
            {
                _pos++;
                if (skip is not null)
                {
                    throw Error(t, "'skip' is given twice");
                }

                skip = ParseSkip(t);
            }
            else if (t.IsWord("on"))
            {
                _pos++;
                ExpectWord("timeout");
                if (timeoutType is not null)
                {
                    throw Error(t, "'on timeout' is given twice");
                }

                ExpectWord("alert");
                var tt = Expect(TokenKind.String, "the alert type as a string");
                if (tt.Text.Length == 0)
                {
                    throw Error(tt, "the alert type is empty");
                }

                timeoutType = tt.Text;
                timeoutPriority = ParsePriority();
            }
            else
            {
                break;
            }
        }

        if ((skip is not null || timeoutType is not null) && op is not (PatternOperator.Seq or PatternOperator.Sequence))
        {
            throw Error(opToken, "'skip' and 'on timeout' apply only to seq");
        }

        if (op == PatternOperator.Seq && (skip is not null || timeoutType is not null))
        {
            op = PatternOperator.Sequence;
        }

        if (op != PatternOperator.Sequence)
        {
            return ParseAlert(op, steps, count, within.IntValue, unless, revoke, null);
        }

        if (timeoutType is not null && !Peek.IsWord("alert"))
        {
            // a rule that only reports partial matches that time out: a full match raises nothing
            var onlyTimeout = BuildSequence(elements, skip, timeoutType, timeoutPriority, alertOnMatch: false);
            var (timeoutDelay, timeoutInfo) = ParseDelayAndInfo("'alert', 'delay', 'info' or the end of the rule");
            return new RuleSyntax(op, [], 0, within.IntValue, unless, revoke, timeoutType, timeoutPriority, timeoutDelay, timeoutInfo, onlyTimeout);
        }

        return ParseAlert(op, [], 0, within.IntValue, unless, revoke, BuildSequence(elements, skip, timeoutType, timeoutPriority, alertOnMatch: true));
    }

    private RuleSyntax ParseAlert(PatternOperator op, List<EventPatternSyntax> steps, int count, long within, IReadOnlyList<EventPatternSyntax> unless, IReadOnlyList<EventPatternSyntax> revoke, SequenceSyntax? sequence)
    {
        ExpectWord("alert");
        var type = Expect(TokenKind.String, "the alert type as a string");
        if (type.Text.Length == 0)
        {
            throw Error(type, "the alert type is empty");
        }

        var priority = ParsePriority();
        var (delay, info) = ParseDelayAndInfo("'delay', 'info' or the end of the rule");
        return new RuleSyntax(op, steps, count, within, unless, revoke, type.Text, priority, delay, info, sequence);
    }

    private (long Delay, string Info) ParseDelayAndInfo(string expected)
    {
        long delay = 0;
        var info = "";
        while (Peek.Kind != TokenKind.End)
        {
            var t = Next();
            if (t.IsWord("delay"))
            {
                delay = Expect(TokenKind.Duration, "a duration").IntValue;
            }
            else if (t.IsWord("info"))
            {
                info = Expect(TokenKind.String, "a string").Text;
            }
            else
            {
                throw Error(t, $"expected {expected} but found {t}");
            }
        }

        return (delay, info);
    }

    private int ParsePriority()
    {
        ExpectWord("priority");
        var priority = Expect(TokenKind.Integer, "an integer priority");
        if (priority.IntValue is < 0 or > 1000)
        {
            throw Error(priority, "priority must be between 0 and 1000");
        }

        return (int)priority.IntValue;
    }

    /// <summary>The most events one step may take (<c>times(n, m)</c>; oneOrMore is bounded by the window and the partial-match cap).</summary>
    public const int MaxTimes = 1000;

    /// <summary>Matches one event may complete under <c>skip none</c> when no <c>max</c> is given.</summary>
    public const int DefaultMatchesPerEvent = 16;

    // One element of seq(...) as written: a step (named or not, with its contiguity and quantifier) or a negation.
    private sealed record ElementSyntax(string? Name, Contiguity? Prefix, EventPatternSyntax Event, int Min, int Max, bool Quantified, bool Reluctant, Contiguity? Negation, Token At)
    {
        public bool IsPlain => Name is null && Prefix is null && !Quantified && !Reluctant && Negation is null;
    }

    private sealed record SkipSyntax(SkipStrategy Strategy, string? Step, int Max, Token At);

    private static bool IsQuantifierWord(Token t) => t.IsWord("times") || t.IsWord("oneOrMore") || t.IsWord("optional") || t.IsWord("reluctant");

    private static bool CanStartStep(Token t) =>
        (t.Kind == TokenKind.String && t.Text.Length > 0) || (t.Kind == TokenKind.Identifier && !IsReserved(t) && !IsQuantifierWord(t));

    private ElementSyntax ParseElement()
    {
        var start = Peek;
        if (start.IsWord("not"))
        {
            _pos++;
            Contiguity negation;
            if (AcceptWord("next"))
            {
                negation = Contiguity.Strict;
            }
            else
            {
                ExpectWord("followed");
                ExpectWord("by");
                negation = Contiguity.Relaxed;
            }

            return new ElementSyntax(null, null, ParseEvent(), 1, 1, false, false, negation, start);
        }

        Contiguity? prefix = null;
        if ((start.IsWord("next") || start.IsWord("any")) && CanStartStep(_tokens[_pos + 1]))
        {
            prefix = start.IsWord("next") ? Contiguity.Strict : Contiguity.Any;
            _pos++;
        }

        string? name = null;
        if (Peek.Kind == TokenKind.Identifier && _tokens[_pos + 1].Kind == TokenKind.Colon)
        {
            var n = Next();
            if (IsReserved(n) || n.Text is "any" or "kind" or "true" or "false" || IsQuantifierWord(n))
            {
                throw Error(n, $"'{n.Text}' cannot name a step");
            }

            name = n.Text;
            _pos++;
        }

        var ev = ParseEvent();
        int min = 1, max = 1;
        var quantified = false;
        if (Peek.IsWord("times"))
        {
            var t = Next();
            Expect(TokenKind.LParen, "'('");
            var from = Expect(TokenKind.Integer, "how many times");
            var to = from;
            if (Peek.Kind == TokenKind.Comma)
            {
                _pos++;
                to = Expect(TokenKind.Integer, "the most times");
            }

            Expect(TokenKind.RParen, "')' or ','");
            if (from.IntValue < 1 || to.IntValue > MaxTimes || to.IntValue < from.IntValue)
            {
                throw Error(t, $"times(n, m) needs 1 <= n <= m <= {MaxTimes}");
            }

            (min, max, quantified) = ((int)from.IntValue, (int)to.IntValue, true);
        }
        else if (Peek.IsWord("oneOrMore"))
        {
            _pos++;
            (min, max, quantified) = (1, int.MaxValue, true);
        }

        if (AcceptWord("optional"))
        {
            (min, quantified) = (0, true);
        }

        var reluctant = false;
        if (Peek.IsWord("reluctant"))
        {
            var t = Next();
            if (max == 1 || max == min)
            {
                throw Error(t, "'reluctant' needs a quantifier with a range (times(n, m) or oneOrMore)");
            }

            reluctant = true;
        }

        return new ElementSyntax(name, prefix, ev, min, max, quantified, reluctant, null, start);
    }

    private SkipSyntax ParseSkip(Token at)
    {
        if (AcceptWord("past"))
        {
            ExpectWord("last");
            return new SkipSyntax(SkipStrategy.PastLast, null, 0, at);
        }

        if (AcceptWord("none"))
        {
            var max = DefaultMatchesPerEvent;
            if (AcceptWord("max"))
            {
                var n = Expect(TokenKind.Integer, "the most matches one event may complete");
                if (n.IntValue is < 1 or > 1000)
                {
                    throw Error(n, "max must be between 1 and 1000");
                }

                max = (int)n.IntValue;
            }

            return new SkipSyntax(SkipStrategy.None, null, max, at);
        }

        ExpectWord("to");
        var t = Next();
        if (t.IsWord("next"))
        {
            return new SkipSyntax(SkipStrategy.ToNext, null, 0, at);
        }

        if (t.IsWord("first") || t.IsWord("last"))
        {
            var step = Expect(TokenKind.Identifier, "a step name");
            return new SkipSyntax(t.IsWord("first") ? SkipStrategy.ToFirst : SkipStrategy.ToLast, step.Text, 0, step);
        }

        throw Error(t, $"expected 'next', 'first STEP' or 'last STEP' after 'skip to' but found {t}");
    }

    // Turns the elements of seq(...) into steps, each carrying the negations written before it, and checks them.
    private static SequenceSyntax BuildSequence(List<ElementSyntax> elements, SkipSyntax? skip, string? timeoutType, int timeoutPriority, bool alertOnMatch)
    {
        var steps = new List<StepSyntax>();
        var notNext = new List<EventPatternSyntax>();
        var notFollowedBy = new List<EventPatternSyntax>();
        ElementSyntax? lastNotNext = null;
        foreach (var el in elements)
        {
            if (el.Negation is { } negation)
            {
                if (steps.Count == 0)
                {
                    throw Error(el.At, "a pattern cannot start with 'not next' or 'not followed by'");
                }

                (negation == Contiguity.Strict ? notNext : notFollowedBy).Add(el.Event);
                lastNotNext = negation == Contiguity.Strict ? el : lastNotNext;
                continue;
            }

            var name = el.Name ?? (steps.Count + 1).ToString(System.Globalization.CultureInfo.InvariantCulture);
            var label = el.Name is null ? $"step {name}" : $"step '{name}'";
            if (el.Name is not null && steps.Any(s => s.Name == el.Name))
            {
                throw Error(el.At, $"{label} is named twice");
            }

            if (steps.Count == 0 && el.Prefix is not null)
            {
                throw Error(el.At, $"{label}: the first step has no step before it ('next' and 'any' say how a step follows the one before)");
            }

            if (steps.Count == 0 && el.Min == 0)
            {
                throw Error(el.At, $"{label}: the first step cannot be optional");
            }

            steps.Add(new StepSyntax(name, el.Event, el.Min, el.Max, el.Reluctant, el.Prefix ?? Contiguity.Relaxed, [.. notNext], [.. notFollowedBy], el.At.Line, el.At.Column));
            notNext.Clear();
            notFollowedBy.Clear();
            lastNotNext = null;
        }

        if (lastNotNext is not null)
        {
            throw Error(lastNotNext.At, "'not next' cannot end a pattern (write 'not followed by' for an absence up to the end of the window)");
        }

        var last = steps[^1];
        if (notFollowedBy.Count == 0 && (last.Min != last.Max))
        {
            throw Error(new Token(TokenKind.Identifier, last.Name, last.Line, last.Column), $"{last.Label}: the last step cannot take a range or be optional (end the pattern with a fixed step or with 'not followed by')");
        }

        var strategy = skip?.Strategy ?? SkipStrategy.PastLast;
        if (skip?.Step is { } target && !steps.Any(s => s.Name == target))
        {
            throw Error(skip.At, $"skip to step '{target}': no step has that name");
        }

        return new SequenceSyntax(steps, [.. notFollowedBy], strategy, skip?.Step, skip?.Max ?? 0, timeoutType, timeoutPriority, alertOnMatch);
    }

    private List<EventPatternSyntax> ParseAlternatives()
    {
        var list = new List<EventPatternSyntax> { ParseEvent() };
        while (AcceptWord("or"))
        {
            list.Add(ParseEvent());
        }

        return list;
    }

    private EventPatternSyntax ParseEvent()
    {
        var t = Next();
        string? kind;
        if (t.IsWord("any"))
        {
            kind = null;
        }
        else if (t.Kind is TokenKind.Identifier or TokenKind.String && t.Text.Length > 0 && !IsReserved(t))
        {
            kind = t.Text;
        }
        else
        {
            throw Error(t, $"expected an event kind (e.g. Fault) or 'any' but found {t}");
        }

        Condition? where = null;
        if (Peek.Kind == TokenKind.LParen)
        {
            _pos++;
            where = ParseOr();
            Expect(TokenKind.RParen, "')' or 'and'/'or'");
        }

        return new EventPatternSyntax(kind, where, t.Line, t.Column);
    }

    private static bool IsReserved(Token t) => t.Kind == TokenKind.Identifier && t.Text is "match" or "within" or "unless"
        or "revoke" or "when" or "alert" or "priority" or "delay" or "info" or "and" or "or" or "not" or "in" or "matches";

    private Condition ParseOr()
    {
        var left = ParseAnd();
        while (Peek.IsWord("or"))
        {
            var t = Next();
            left = new OrCondition(left, ParseAnd(), t.Line, t.Column);
        }

        return left;
    }

    private Condition ParseAnd()
    {
        var left = ParseUnary();
        while (Peek.IsWord("and"))
        {
            var t = Next();
            left = new AndCondition(left, ParseUnary(), t.Line, t.Column);
        }

        return left;
    }

    private Condition ParseUnary()
    {
        var t = Peek;
        if (t.IsWord("not"))
        {
            _pos++;
            return new NotCondition(ParseUnary(), t.Line, t.Column);
        }

        if (t.Kind == TokenKind.LParen)
        {
            _pos++;
            var inner = ParseOr();
            Expect(TokenKind.RParen, "')'");
            return inner;
        }

        var left = ParseOperand();
        var opToken = Next();
        switch (opToken.Kind)
        {
            case TokenKind.Eq: return new CompareCondition(left, CompareOp.Eq, ParseOperand(), opToken.Line, opToken.Column);
            case TokenKind.NotEq: return new CompareCondition(left, CompareOp.NotEq, ParseOperand(), opToken.Line, opToken.Column);
            case TokenKind.Lt: return new CompareCondition(left, CompareOp.Lt, ParseOperand(), opToken.Line, opToken.Column);
            case TokenKind.LtEq: return new CompareCondition(left, CompareOp.LtEq, ParseOperand(), opToken.Line, opToken.Column);
            case TokenKind.Gt: return new CompareCondition(left, CompareOp.Gt, ParseOperand(), opToken.Line, opToken.Column);
            case TokenKind.GtEq: return new CompareCondition(left, CompareOp.GtEq, ParseOperand(), opToken.Line, opToken.Column);
        }

        if (opToken.IsWord("in"))
        {
            Expect(TokenKind.LBracket, "'['");
            var items = new List<LiteralOperand>();
            if (Peek.Kind != TokenKind.RBracket)
            {
                items.Add(ParseLiteral());
                while (Peek.Kind == TokenKind.Comma)
                {
                    _pos++;
                    items.Add(ParseLiteral());
                }
            }

            Expect(TokenKind.RBracket, "']' or ','");
            return new InCondition(left, items, opToken.Line, opToken.Column);
        }

        if (opToken.IsWord("matches"))
        {
            var pattern = Expect(TokenKind.String, "a regular expression as a string");
            return new MatchesCondition(left, pattern.Text, pattern.Line, pattern.Column);
        }

        throw Error(opToken, $"expected a comparison (=, !=, <, <=, >, >=, in, matches) but found {opToken}");
    }

    private Operand ParseOperand()
    {
        var t = Peek;
        switch (t.Kind)
        {
            case TokenKind.JsonPath:
                _pos++;
                return new JsonPathOperand(t.Text, t.Line, t.Column);
            case TokenKind.Identifier when t.Text is "kind":
                _pos++;
                return new KindOperand(t.Line, t.Column);
            case TokenKind.Identifier when t.Text is not ("true" or "false") && _tokens[_pos + 1].Kind == TokenKind.Dot:
            {
                _pos += 2;
                var inner = Next();
                Operand target = inner.Kind switch
                {
                    TokenKind.JsonPath => new JsonPathOperand(inner.Text, inner.Line, inner.Column),
                    TokenKind.Identifier when !IsReserved(inner) && inner.Text != "kind" => new FieldOperand(inner.Text, inner.Line, inner.Column),
                    _ => throw Error(inner, $"expected a field or a JSON path of step '{t.Text}' but found {inner}"),
                };
                return new StepRefOperand(t.Text, target, t.Line, t.Column);
            }

            case TokenKind.Identifier when t.Text is not ("true" or "false"):
                if (IsReserved(t))
                {
                    throw Error(t, $"expected a field, a JSON path or a value but found {t}");
                }

                _pos++;
                return new FieldOperand(t.Text, t.Line, t.Column);
            default:
                return ParseLiteral();
        }
    }

    private LiteralOperand ParseLiteral()
    {
        var t = Next();
        return t.Kind switch
        {
            TokenKind.Integer => new LiteralOperand(FieldValue.FromInteger(t.IntValue), t.Line, t.Column),
            TokenKind.Number => new LiteralOperand(FieldValue.FromNumber(t.NumberValue), t.Line, t.Column),
            TokenKind.String => new LiteralOperand(FieldValue.FromString(t.Text), t.Line, t.Column),
            TokenKind.Identifier when t.Text == "true" => new LiteralOperand(FieldValue.FromBoolean(true), t.Line, t.Column),
            TokenKind.Identifier when t.Text == "false" => new LiteralOperand(FieldValue.FromBoolean(false), t.Line, t.Column),
            _ => throw Error(t, $"expected a value (integer, number, string, true, false) but found {t}"),
        };
    }
}
