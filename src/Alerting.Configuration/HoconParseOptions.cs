namespace Alerting.Configuration;

/// <summary>How <see cref="HoconParser"/> resolves what lies outside the text: environment variables and includes.</summary>
public sealed record HoconParseOptions
{
    /// <summary>The defaults: the process environment, includes of parsed strings relative to the current directory.</summary>
    public static HoconParseOptions Default { get; } = new();

    /// <summary>
    /// Looks up an environment variable by name; used when a substitution's path is not in the document
    /// (<c>${?PORT}</c>, <c>${HOME}</c>). Defaults to <see cref="Environment.GetEnvironmentVariable(string)"/>.
    /// </summary>
    public Func<string, string?> EnvironmentVariables { get; init; } = Environment.GetEnvironmentVariable;

    /// <summary>
    /// The folder relative includes of a parsed string are read from (a parsed file always uses its own folder).
    /// Null means the current directory.
    /// </summary>
    public string? BaseDirectory { get; init; }
}
