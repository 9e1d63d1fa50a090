namespace Alerting.Configuration;

/// <summary>The three kinds of node in a resolved HOCON tree.</summary>
public enum HoconValueKind
{
    /// <summary>A <see cref="HoconObject"/>: keys mapped to values.</summary>
    Object,

    /// <summary>A <see cref="HoconArray"/>: an ordered list of values.</summary>
    Array,

    /// <summary>A <see cref="HoconScalar"/>: a string, number, boolean or null.</summary>
    Scalar,
}

/// <summary>What a scalar was written as. Every scalar keeps its source text whatever its kind.</summary>
public enum HoconScalarKind
{
    /// <summary>A quoted string, an unquoted word that is not a number/boolean/null, or a concatenation.</summary>
    String,

    /// <summary>An unquoted number such as <c>42</c>, <c>-1.5</c> or <c>1e3</c>.</summary>
    Number,

    /// <summary>An unquoted <c>true</c> or <c>false</c>.</summary>
    Boolean,

    /// <summary>An unquoted <c>null</c>.</summary>
    Null,
}
