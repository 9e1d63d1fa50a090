using Alerting.Configuration;

namespace Microsoft.Extensions.Configuration;

/// <summary>Adds HOCON files and strings to an <see cref="IConfigurationBuilder"/>; later sources (env vars, command line) override them as usual.</summary>
public static class HoconConfigurationExtensions
{
    /// <summary>
    /// Adds a HOCON file. A relative <paramref name="path"/> is resolved against the builder's base path
    /// (<c>SetBasePath</c>) or the current directory.
    /// </summary>
    /// <param name="builder">The builder to add to.</param>
    /// <param name="path">The file's path.</param>
    /// <param name="optional">Whether a missing file is allowed (a missing include is always an error).</param>
    /// <param name="reloadOnChange">Whether to reload when the file changes.</param>
    /// <param name="options">Environment lookup for substitutions; the process environment if null.</param>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, string path, bool optional = false, bool reloadOnChange = false, HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrEmpty(path);
        return builder.AddHoconFile(source =>
        {
            source.Path = path;
            source.Optional = optional;
            source.ReloadOnChange = reloadOnChange;
            source.ParseOptions = options;
            source.ResolveFileProvider();
        });
    }

    /// <summary>Adds a HOCON file configured by <paramref name="configure"/>.</summary>
    /// <param name="builder">The builder to add to.</param>
    /// <param name="configure">Sets the path, optionality, file provider and parse options of the source.</param>
    public static IConfigurationBuilder AddHoconFile(this IConfigurationBuilder builder, Action<HoconConfigurationSource> configure)
    {
        ArgumentNullException.ThrowIfNull(builder);
        return builder.Add(configure);
    }

    /// <summary>Adds HOCON text; includes in it are read relative to <see cref="HoconParseOptions.BaseDirectory"/>.</summary>
    /// <param name="builder">The builder to add to.</param>
    /// <param name="text">The HOCON text.</param>
    /// <param name="name">The name of the text in error messages.</param>
    /// <param name="options">Environment lookup and include folder; the defaults if null.</param>
    public static IConfigurationBuilder AddHoconString(this IConfigurationBuilder builder, string text, string name = "(string)", HoconParseOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(text);
        return builder.Add(new HoconStringConfigurationSource { Text = text, Name = name, ParseOptions = options });
    }
}
