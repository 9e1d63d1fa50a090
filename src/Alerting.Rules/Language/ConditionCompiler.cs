using System.Text.RegularExpressions;
using Alerting.Events;

namespace Alerting.Rules.Language;

/// <summary>Compiles condition syntax to delegates over <see cref="DeviceEvent"/>, resolving fields to schema slots.</summary>
internal sealed class ConditionCompiler(EventSchema schema, TimeSpan regexTimeout)
{
    /// <summary>
    /// Resolves a step reference (<c>a.Field</c>) to the index of its captured value while a sequence step is
    /// compiled; null outside sequences, where a step reference is an error.
    /// </summary>
    public Func<StepRefOperand, Func<DeviceEvent, FieldValue>, int>? ResolveStepRef { get; set; }

    public EventMatcher CompilePattern(EventPatternSyntax p)
    {
        var where = p.Where is null ? null : Compile(p.Where);
        var (slot, values) = p.Where is null ? (-1, Array.Empty<FieldValue>()) : FindKey(p.Where);
        return new EventMatcher(p.Kind, where, slot, values);
    }

    // A top-level conjunct `field = literal` or `field in [literals]` on a mapped field.
    private (int Slot, FieldValue[] Values) FindKey(Condition c)
    {
        switch (c)
        {
            case CompareCondition { Op: CompareOp.Eq, Left: FieldOperand f, Right: LiteralOperand l }:
                return (schema.SlotOf(f.Name), [l.Value]);
            case CompareCondition { Op: CompareOp.Eq, Left: LiteralOperand l, Right: FieldOperand f }:
                return (schema.SlotOf(f.Name), [l.Value]);
            case InCondition { Left: FieldOperand f } inc:
                return (schema.SlotOf(f.Name), inc.Items.Select(i => i.Value).ToArray());
            case AndCondition a:
                var left = FindKey(a.Left);
                return left.Slot >= 0 ? left : FindKey(a.Right);
            default:
                return (-1, []);
        }
    }

    public Func<DeviceEvent, bool> Compile(Condition c)
    {
        switch (c)
        {
            case AndCondition a:
            {
                var l = Compile(a.Left);
                var r = Compile(a.Right);
                return e => l(e) && r(e);
            }

            case OrCondition o:
            {
                var l = Compile(o.Left);
                var r = Compile(o.Right);
                return e => l(e) || r(e);
            }

            case NotCondition n:
            {
                var inner = Compile(n.Inner);
                return e => !inner(e);
            }

            case CompareCondition cmp:
                return CompileCompare(cmp);
            case InCondition inc:
            {
                CheckTypes(inc.Left, inc.Items);
                var set = new HashSet<FieldValue>(inc.Items.Select(i => i.Value));
                if (inc.Left is FieldOperand f)
                {
                    var slot = schema.SlotOf(f.Name);
                    return e => set.Contains(e.Field(slot));
                }

                var read = Operand(inc.Left);
                return e => set.Contains(read(e));
            }

            case MatchesCondition m:
            {
                Regex regex;
                try
                {
                    regex = new Regex(m.Pattern, RegexOptions.CultureInvariant, regexTimeout);
                }
                catch (ArgumentException ex)
                {
                    throw new RuleSyntaxException($"bad regular expression: {ex.Message}", m.Line, m.Column);
                }

                var read = Operand(m.Left);
                return e =>
                {
                    var v = read(e);
                    if (v.Type != FieldType.String)
                    {
                        return false;
                    }

                    try
                    {
                        return regex.IsMatch(v.String!);
                    }
                    catch (RegexMatchTimeoutException)
                    {
                        return false;
                    }
                };
            }

            default:
                throw new RuleSyntaxException("unsupported condition", c.Line, c.Column);
        }
    }

    private Func<DeviceEvent, bool> CompileCompare(CompareCondition cmp)
    {
        var op = cmp.Op;
        if (cmp.Left is LiteralOperand && cmp.Right is LiteralOperand)
        {
            throw new RuleSyntaxException("a comparison of two constants", cmp.Line, cmp.Column);
        }

        if (cmp.Right is LiteralOperand lit)
        {
            CheckTypes(cmp.Left, [lit]);
        }
        else if (cmp.Left is LiteralOperand lit2)
        {
            CheckTypes(cmp.Right, [lit2]);
        }

        if (cmp.Left is FieldOperand f && cmp.Right is LiteralOperand rl)
        {
            var slot = schema.SlotOf(f.Name);
            var value = rl.Value;
            return op == CompareOp.Eq
                ? e => value.Equals(e.Field(slot)) && !e.Field(slot).IsMissing
                : e => Test(e.Field(slot), op, value);
        }

        var left = Operand(cmp.Left);
        var right = Operand(cmp.Right);
        return e => Test(left(e), op, right(e));
    }

    private void CheckTypes(Operand operand, IEnumerable<LiteralOperand> literals)
    {
        if (operand is not FieldOperand f)
        {
            return;
        }

        var slot = Slot(f);
        var type = schema.Fields[slot].Type;
        foreach (var l in literals)
        {
            var ok = type switch
            {
                FieldType.Integer or FieldType.Number or FieldType.Timestamp => l.Value.IsNumeric,
                FieldType.String => l.Value.Type == FieldType.String,
                FieldType.Boolean => l.Value.Type == FieldType.Boolean,
                _ => true,
            };
            if (!ok)
            {
                throw new RuleSyntaxException(
                    $"field '{f.Name}' is {type.ToString().ToLowerInvariant()} but is compared with {l.Value.Type.ToString().ToLowerInvariant()} {Show(l.Value)}",
                    l.Line,
                    l.Column);
            }
        }
    }

    private static string Show(FieldValue v) => v.Type == FieldType.String ? $"\"{v.String}\"" : v.ToString();

    private int Slot(FieldOperand f)
    {
        var slot = schema.SlotOf(f.Name);
        return slot >= 0
            ? slot
            : throw new RuleSyntaxException($"field '{f.Name}' is not mapped by the event schema (for a payload field write a JSON path such as $.{f.Name})", f.Line, f.Column);
    }

    internal Func<DeviceEvent, FieldValue> Operand(Operand o)
    {
        switch (o)
        {
            case StepRefOperand r:
            {
                if (ResolveStepRef is null)
                {
                    throw new RuleSyntaxException($"'{r.Step}.' refers to a step: only seq with named steps has them", r.Line, r.Column);
                }

                if (r.Inner is StepRefOperand)
                {
                    throw new RuleSyntaxException("a step reference names one field or JSON path", r.Line, r.Column);
                }

                var index = ResolveStepRef(r, Operand(r.Inner));
                return _ => SequenceCaptures.Read(index);
            }

            case FieldOperand f:
            {
                var slot = Slot(f);
                return e => e.Field(slot);
            }

            case JsonPathOperand j:
            {
                var path = JsonPath.Parse(j.Path, j.Line, j.Column);
                return e => path.Read(e.Payload);
            }

            case KindOperand:
                return e => FieldValue.FromString(e.Kind);
            case LiteralOperand l:
            {
                var v = l.Value;
                return _ => v;
            }

            default:
                throw new RuleSyntaxException("unsupported operand", o.Line, o.Column);
        }
    }

    /// <summary>
    /// Compares two values: numbers with numbers, strings with strings (ordinal), booleans with = and != only.
    /// A missing value or values of different types make every comparison false, != included.
    /// </summary>
    internal static bool Test(FieldValue a, CompareOp op, FieldValue b)
    {
        int c;
        if (a.IsNumeric && b.IsNumeric)
        {
            if (a.Type != FieldType.Number && b.Type != FieldType.Number)
            {
                c = a.Long.CompareTo(b.Long);
            }
            else
            {
                var x = a.AsDouble;
                var y = b.AsDouble;
                if (double.IsNaN(x) || double.IsNaN(y))
                {
                    return false;
                }

                c = x.CompareTo(y);
            }
        }
        else if (a.Type == FieldType.String && b.Type == FieldType.String)
        {
            c = string.CompareOrdinal(a.String, b.String);
        }
        else if (a.Type == FieldType.Boolean && b.Type == FieldType.Boolean)
        {
            if (op is not (CompareOp.Eq or CompareOp.NotEq))
            {
                return false;
            }

            c = a.Long.CompareTo(b.Long);
        }
        else
        {
            return false;
        }

        return op switch
        {
            CompareOp.Eq => c == 0,
            CompareOp.NotEq => c != 0,
            CompareOp.Lt => c < 0,
            CompareOp.LtEq => c <= 0,
            CompareOp.Gt => c > 0,
            _ => c >= 0,
        };
    }
}
