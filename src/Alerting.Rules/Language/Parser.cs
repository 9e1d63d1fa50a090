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
        var count = 0;
        switch (opToken.Text)
        {
            case "all" when opToken.Kind == TokenKind.Identifier:
            case "seq" when opToken.Kind == TokenKind.Identifier:
                op = opToken.Text == "all" ? PatternOperator.All : PatternOperator.Seq;
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
            else
            {
                break;
            }
        }

        ExpectWord("alert");
        var type = Expect(TokenKind.String, "the alert type as a string");
        if (type.Text.Length == 0)
        {
            throw Error(type, "the alert type is empty");
        }

        ExpectWord("priority");
        var priority = Expect(TokenKind.Integer, "an integer priority");
        if (priority.IntValue is < 0 or > 1000)
        {
            throw Error(priority, "priority must be between 0 and 1000");
        }

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
                throw Error(t, $"expected 'delay', 'info' or the end of the rule but found {t}");
            }
        }

        return new RuleSyntax(op, steps, count, within.IntValue, unless, revoke, type.Text, (int)priority.IntValue, delay, info);
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
