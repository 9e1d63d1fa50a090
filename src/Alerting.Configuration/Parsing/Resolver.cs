namespace Alerting.Configuration.Parsing;

/// <summary>
/// Resolves substitutions, concatenations and delayed merges over the whole merged tree and builds the public,
/// immutable <see cref="HoconObject"/>. Substitutions look the path up in the document, then in the environment;
/// an unset optional substitution resolves to nothing (the field keeps its earlier value or disappears).
/// </summary>
internal sealed class Resolver
{
    private readonly ObjectNode _root;
    private readonly Func<string, string?> _environment;
    private readonly Dictionary<Node, Node?> _resolved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<Node> _inProgress = new(ReferenceEqualityComparer.Instance);

    public Resolver(ObjectNode root, Func<string, string?> environment)
    {
        _root = root;
        _environment = environment;
    }

    public HoconObject ResolveDocument()
    {
        var resolved = (ObjectNode)Resolve(_root)!;
        return (HoconObject)Materialize(resolved, string.Empty);
    }

    private static HoconValue Materialize(Node node, string path) => node switch
    {
        ScalarNode s => new HoconScalar(s.Position, path, s.Text, s.Kind),
        ArrayNode a => new HoconArray(a.Position, path, a.Items.Select((item, i) => Materialize(item, HoconPath.Append(path, i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToList()),
        ObjectNode o => new HoconObject(o.Position, path, o.Fields.Select(f => new HoconField(f.Key, f.KeyPosition, Materialize(f.Value, HoconPath.Append(path, f.Key)))).ToList()),
        _ => throw new InvalidOperationException($"unresolved node {node.GetType().Name}"),
    };

    private Node? Resolve(Node node)
    {
        if (node is ScalarNode)
        {
            return node;
        }

        if (_resolved.TryGetValue(node, out var done))
        {
            return done;
        }

        if (!_inProgress.Add(node))
        {
            var what = node is SubstitutionNode s ? $"substitution {s.Text}" : "value";
            throw new HoconParseException(node.Position, $"cycle: the {what} depends on itself");
        }

        try
        {
            var result = node switch
            {
                ObjectNode o => ResolveObject(o),
                ArrayNode a => new ArrayNode(a.Position, a.Items.Select(Resolve).OfType<Node>().ToList()),
                SubstitutionNode s => ResolveSubstitution(s),
                ConcatenationNode c => ResolveConcatenation(c),
                MergeNode m => ResolveMerge(m),
                _ => throw new InvalidOperationException($"unexpected node {node.GetType().Name}"),
            };
            _resolved[node] = result;
            return result;
        }
        finally
        {
            _inProgress.Remove(node);
        }
    }

    private ObjectNode ResolveObject(ObjectNode node)
    {
        var result = new ObjectNode(node.Position);
        foreach (var (key, keyPosition, value) in node.Fields)
        {
            if (Resolve(value) is { } resolved)
            {
                result.Set(key, keyPosition, resolved);
            }
        }

        return result;
    }

    private Node? ResolveSubstitution(SubstitutionNode node)
    {
        foreach (var candidate in node.Candidates)
        {
            if (Lookup(candidate) is { } found)
            {
                return found;
            }
        }

        if (_environment(node.EnvironmentName) is { } fromEnvironment)
        {
            return new ScalarNode(node.Position, fromEnvironment, HoconScalarKind.String);
        }

        return node.Optional
            ? null
            : throw new HoconParseException(node.Position, $"could not resolve substitution {node.Text}: no such path in the configuration and no environment variable '{node.EnvironmentName}'");
    }

    private Node? Lookup(IReadOnlyList<string> path)
    {
        Node current = _root;
        foreach (var element in path)
        {
            var obj = current as ObjectNode ?? Resolve(current) as ObjectNode;
            if (obj?.Get(element) is not { } child)
            {
                return null;
            }

            current = child;
        }

        return Resolve(current);
    }

    private Node? ResolveMerge(MergeNode node)
    {
        var newer = Resolve(node.Newer);
        if (newer is null)
        {
            return Resolve(node.Older);
        }

        if (newer is ObjectNode newerObject && Resolve(node.Older) is ObjectNode olderObject)
        {
            return MergeObjects(olderObject, newerObject);
        }

        return newer;
    }

    private static ObjectNode MergeObjects(ObjectNode older, ObjectNode newer)
    {
        var result = new ObjectNode(older.Position);
        foreach (var (key, keyPosition, value) in older.Fields)
        {
            result.Set(key, keyPosition, value);
        }

        foreach (var (key, keyPosition, value) in newer.Fields)
        {
            var merged = result.Get(key) is ObjectNode olderChild && value is ObjectNode newerChild
                ? MergeObjects(olderChild, newerChild)
                : value;
            result.Set(key, keyPosition, merged);
        }

        return result;
    }

    private Node? ResolveConcatenation(ConcatenationNode node)
    {
        var parts = new List<Node>();
        foreach (var piece in node.Pieces)
        {
            if (piece is WhitespaceNode)
            {
                // Whitespace only between two values; an unset optional substitution takes its separator with it.
                if (parts.Count > 0 && parts[^1] is not WhitespaceNode)
                {
                    parts.Add(piece);
                }
            }
            else if (Resolve(piece) is { } resolved)
            {
                parts.Add(resolved);
            }
        }

        if (parts.Count > 0 && parts[^1] is WhitespaceNode)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        var values = parts.Where(p => p is not WhitespaceNode).ToList();
        if (values.Count <= 1)
        {
            return values.FirstOrDefault();
        }

        if (values.All(v => v is ObjectNode))
        {
            return values.Cast<ObjectNode>().Aggregate(MergeObjects);
        }

        if (values.All(v => v is ArrayNode))
        {
            return new ArrayNode(values[0].Position, values.Cast<ArrayNode>().SelectMany(a => a.Items).ToList());
        }

        if (values.All(v => v is ScalarNode))
        {
            var text = string.Concat(parts.Select(p => p is WhitespaceNode w ? w.Text : ((ScalarNode)p).Text));
            return new ScalarNode(node.Position, text, HoconScalarKind.String);
        }

        var odd = values.First(v => v.GetType() != values[0].GetType());
        throw new HoconParseException(odd.Position, $"cannot concatenate {Describe(values[0])} with {Describe(odd)}: only strings, only arrays or only objects can be joined");
    }

    private static string Describe(Node node) => node switch
    {
        ObjectNode => "an object",
        ArrayNode => "an array",
        _ => "a string",
    };
}
