namespace Alerting.Configuration.Parsing;

/// <summary>
/// Applies the statements of parsed documents in order into one merged <see cref="ObjectNode"/>: expands dotted
/// keys, merges repeated objects, lets later values win, reads includes, and replaces self-references
/// (<c>path = ${path} [...]</c>, <c>path += x</c>) by the value the path had just before.
/// </summary>
internal sealed class TreeBuilder
{
    private readonly HashSet<string> _openFiles = new(StringComparer.Ordinal);

    /// <summary>Where relative includes are looked up (on disk) and how included files are named in positions.</summary>
    private sealed record Context(string BaseDirectory, string DisplayDirectory, IReadOnlyList<string> Prefix);

    public ObjectNode Build(AstObject document, string baseDirectory, string displayName, string? fullPath)
    {
        if (fullPath is not null)
        {
            _openFiles.Add(fullPath);
        }

        var root = new ObjectNode(document.Position);
        Apply(root, [], document, new Context(baseDirectory, Path.GetDirectoryName(displayName) ?? string.Empty, []));
        return root;
    }

    private void Apply(ObjectNode target, IReadOnlyList<string>? targetPath, AstObject ast, Context context)
    {
        foreach (var statement in ast.Statements)
        {
            switch (statement)
            {
                case AstInclude include:
                    Include(target, targetPath, include, context);
                    break;
                case AstField field:
                    Assign(target, targetPath, field.Path, field.Position, field.Value, field.Append, context);
                    break;
            }
        }
    }

    private void Include(ObjectNode target, IReadOnlyList<string>? targetPath, AstInclude include, Context context)
    {
        var fullPath = Path.GetFullPath(Path.Combine(context.BaseDirectory, include.FileName));
        if (!File.Exists(fullPath))
        {
            throw new HoconParseException(include.Position, $"included file \"{include.FileName}\" not found (looked for {fullPath})");
        }

        if (!_openFiles.Add(fullPath))
        {
            throw new HoconParseException(include.Position, $"include cycle: \"{include.FileName}\" is already being included");
        }

        try
        {
            var displayName = Path.Combine(context.DisplayDirectory, include.FileName);
            var document = Parser.ParseDocument(File.ReadAllText(fullPath), displayName);
            var inner = new Context(Path.GetDirectoryName(fullPath)!, Path.GetDirectoryName(displayName) ?? string.Empty, targetPath ?? []);
            Apply(target, targetPath, document, inner);
        }
        finally
        {
            _openFiles.Remove(fullPath);
        }
    }

    private void Assign(ObjectNode target, IReadOnlyList<string>? targetPath, IReadOnlyList<string> path, HoconPosition keyPosition, AstValue value, bool append, Context context)
    {
        var obj = target;
        for (var i = 0; i < path.Count - 1; i++)
        {
            var existing = obj.Get(path[i]);
            if (existing is ObjectNode child)
            {
                obj = child;
                continue;
            }

            var fresh = new ObjectNode(keyPosition);
            if (existing is null or ScalarNode or ArrayNode)
            {
                obj.Set(path[i], keyPosition, fresh);
                obj = fresh;
                continue;
            }

            // The earlier value depends on substitutions: build the rest on its own and merge it over at resolution.
            Assign(fresh, targetPath is null ? null : Concat(targetPath, path.Take(i + 1)), path.Skip(i + 1).ToList(), keyPosition, value, append, context);
            obj.Set(path[i], keyPosition, new MergeNode(existing, fresh));
            return;
        }

        var key = path[^1];
        var fieldPath = targetPath is null ? null : Concat(targetPath, path);
        var previous = obj.Get(key);

        if (append)
        {
            var item = Convert(value, fieldPath, previous, context);
            var array = new ArrayNode(value.Position, [item]);
            obj.Set(key, keyPosition, previous is null ? array : new ConcatenationNode(value.Position, [previous, array]));
            return;
        }

        if (value is AstObject literal)
        {
            if (previous is ObjectNode previousObject)
            {
                Apply(previousObject, fieldPath, literal, context);
                return;
            }

            var fresh = new ObjectNode(literal.Position);
            Apply(fresh, fieldPath, literal, context);
            obj.Set(key, keyPosition, previous is null or ScalarNode or ArrayNode ? fresh : new MergeNode(previous, fresh));
            return;
        }

        var node = Convert(value, fieldPath, previous, context);
        if (previous is not null && node is SubstitutionNode or ConcatenationNode or MergeNode)
        {
            node = new MergeNode(previous, node);
        }

        obj.Set(key, keyPosition, node);
    }

    private Node Convert(AstValue value, IReadOnlyList<string>? selfPath, Node? previous, Context context)
    {
        switch (value)
        {
            case AstScalar scalar:
                return new ScalarNode(scalar.Position, scalar.Text, scalar.Kind);
            case AstWhitespace whitespace:
                return new WhitespaceNode(whitespace.Position, whitespace.Text);
            case AstArray array:
                return new ArrayNode(array.Position, array.Items.Select(i => Convert(i, selfPath, previous, context)).ToList());
            case AstConcatenation concatenation:
                return new ConcatenationNode(concatenation.Position, concatenation.Pieces.Select(p => Convert(p, selfPath, previous, context)).ToList());
            case AstObject obj:
                // An object inside an array or a concatenation has no path of its own: no self-references inside.
                var standalone = new ObjectNode(obj.Position);
                Apply(standalone, null, obj, context);
                return standalone;
            case AstSubstitution substitution:
                var absolute = Concat(context.Prefix, substitution.Path);
                var environmentName = string.Join('.', substitution.Path);
                if (selfPath is not null && absolute.SequenceEqual(selfPath, StringComparer.Ordinal))
                {
                    // A self-reference sees the value the path had before this assignment; without one, only the environment.
                    return previous ?? new SubstitutionNode(substitution.Position, substitution.Text, [], environmentName, substitution.Optional);
                }

                IReadOnlyList<IReadOnlyList<string>> candidates = context.Prefix.Count == 0 ? [absolute] : [absolute, substitution.Path];
                return new SubstitutionNode(substitution.Position, substitution.Text, candidates, environmentName, substitution.Optional);
            default:
                throw new InvalidOperationException($"unknown syntax node {value.GetType().Name}");
        }
    }

    private static List<string> Concat(IReadOnlyList<string>? prefix, IEnumerable<string> rest) =>
        [.. prefix ?? [], .. rest];
}
