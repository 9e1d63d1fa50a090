namespace Alerting.Configuration.Parsing;

/// <summary>The syntax tree of one HOCON document, before includes, merging and substitution.</summary>
internal abstract record AstValue(HoconPosition Position);

internal sealed record AstScalar(HoconPosition Position, string Text, HoconScalarKind Kind) : AstValue(Position);

internal sealed record AstWhitespace(HoconPosition Position, string Text) : AstValue(Position);

internal sealed record AstSubstitution(HoconPosition Position, string Text, IReadOnlyList<string> Path, bool Optional) : AstValue(Position);

internal sealed record AstConcatenation(HoconPosition Position, IReadOnlyList<AstValue> Pieces) : AstValue(Position);

internal sealed record AstArray(HoconPosition Position, IReadOnlyList<AstValue> Items) : AstValue(Position);

internal sealed record AstObject(HoconPosition Position, IReadOnlyList<AstStatement> Statements) : AstValue(Position);

internal abstract record AstStatement(HoconPosition Position);

internal sealed record AstField(HoconPosition Position, IReadOnlyList<string> Path, AstValue Value, bool Append) : AstStatement(Position);

internal sealed record AstInclude(HoconPosition Position, string FileName) : AstStatement(Position);
