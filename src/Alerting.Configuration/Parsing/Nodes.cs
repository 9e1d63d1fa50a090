namespace Alerting.Configuration.Parsing;

/// <summary>
/// The merged, not yet resolved tree: objects are merged as fields are applied in document order; values
/// that depend on substitutions stay as <see cref="SubstitutionNode"/>, <see cref="ConcatenationNode"/> or
/// <see cref="MergeNode"/> until the resolver runs over the whole document.
/// </summary>
internal abstract class Node(HoconPosition position)
{
    public HoconPosition Position { get; } = position;
}

internal sealed class ScalarNode(HoconPosition position, string text, HoconScalarKind kind) : Node(position)
{
    public string Text { get; } = text;

    public HoconScalarKind Kind { get; } = kind;
}

internal sealed class WhitespaceNode(HoconPosition position, string text) : Node(position)
{
    public string Text { get; } = text;
}

internal sealed class ArrayNode(HoconPosition position, List<Node> items) : Node(position)
{
    public List<Node> Items { get; } = items;
}

internal sealed class ObjectNode(HoconPosition position) : Node(position)
{
    private readonly Dictionary<string, int> _index = new(StringComparer.Ordinal);
    private readonly List<(string Key, HoconPosition KeyPosition, Node Value)> _fields = [];

    public IReadOnlyList<(string Key, HoconPosition KeyPosition, Node Value)> Fields => _fields;

    public Node? Get(string key) => _index.TryGetValue(key, out var i) ? _fields[i].Value : null;

    public void Set(string key, HoconPosition keyPosition, Node value)
    {
        if (_index.TryGetValue(key, out var i))
        {
            _fields[i] = (key, keyPosition, value);
        }
        else
        {
            _index[key] = _fields.Count;
            _fields.Add((key, keyPosition, value));
        }
    }
}

/// <summary>
/// <c>${path}</c> or <c>${?path}</c>. <see cref="Candidates"/> are the absolute paths to try in order (an included
/// file's paths are tried relative to where it was included, then as written); then the environment variable
/// <see cref="EnvironmentName"/>.
/// </summary>
internal sealed class SubstitutionNode(HoconPosition position, string text, IReadOnlyList<IReadOnlyList<string>> candidates, string environmentName, bool optional)
    : Node(position)
{
    public string Text { get; } = text;

    public IReadOnlyList<IReadOnlyList<string>> Candidates { get; } = candidates;

    public string EnvironmentName { get; } = environmentName;

    public bool Optional { get; } = optional;
}

/// <summary>Value concatenation: strings join (with their inner whitespace), arrays append, objects merge.</summary>
internal sealed class ConcatenationNode(HoconPosition position, List<Node> pieces) : Node(position)
{
    public List<Node> Pieces { get; } = pieces;
}

/// <summary>
/// A key set again while its earlier value is unresolved, or set to a substitution: the newer value wins,
/// except that two objects merge and a newer value that resolves to nothing (an unset <c>${?X}</c>) keeps the older one.
/// </summary>
internal sealed class MergeNode(Node older, Node newer) : Node(newer.Position)
{
    public Node Older { get; } = older;

    public Node Newer { get; } = newer;
}
