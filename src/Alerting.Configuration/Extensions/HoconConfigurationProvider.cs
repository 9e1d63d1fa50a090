using Microsoft.Extensions.Configuration;

namespace Alerting.Configuration;

/// <summary>
/// Loads a HOCON file into configuration keys flattened with ':' (<c>a.b.c</c> → <c>a:b:c</c>, array items
/// <c>a:0</c>, <c>a:1</c>); scalars keep their text. Includes are read relative to the file's folder. A syntax
/// error surfaces from <c>Build()</c> as an <see cref="InvalidDataException"/> whose inner exception is the
/// <see cref="HoconParseException"/> with file, line and column.
/// </summary>
public sealed class HoconConfigurationProvider : FileConfigurationProvider
{
    /// <summary>Creates the provider for <paramref name="source"/>.</summary>
    public HoconConfigurationProvider(HoconConfigurationSource source)
        : base(source)
    {
    }

    /// <inheritdoc />
    public override void Load(Stream stream)
    {
        var source = (HoconConfigurationSource)Source;
        var name = source.Path ?? "(stream)";
        var physical = source.FileProvider?.GetFileInfo(name).PhysicalPath;
        var baseDirectory = physical is null ? Directory.GetCurrentDirectory() : Path.GetDirectoryName(physical)!;
        using var reader = new StreamReader(stream);
        var root = HoconParser.Build(reader.ReadToEnd(), name, baseDirectory, physical, source.ParseOptions ?? HoconParseOptions.Default);
        Data = root.ToConfigurationData();
    }
}
