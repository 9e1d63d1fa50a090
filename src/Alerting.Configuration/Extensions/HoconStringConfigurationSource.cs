using Microsoft.Extensions.Configuration;

namespace Alerting.Configuration;

/// <summary>HOCON text as a Microsoft.Extensions.Configuration source (see <c>AddHoconString</c>); parsed when the configuration is built.</summary>
public sealed class HoconStringConfigurationSource : IConfigurationSource
{
    /// <summary>The HOCON text.</summary>
    public required string Text { get; init; }

    /// <summary>The name of the text in error messages.</summary>
    public string Name { get; init; } = "(string)";

    /// <summary>Environment lookup and include folder; the defaults if null.</summary>
    public HoconParseOptions? ParseOptions { get; init; }

    /// <inheritdoc />
    public IConfigurationProvider Build(IConfigurationBuilder builder) => new HoconStringConfigurationProvider(this);
}

/// <summary>Loads <see cref="HoconStringConfigurationSource.Text"/> into keys flattened with ':'; parse errors throw <see cref="HoconParseException"/>.</summary>
public sealed class HoconStringConfigurationProvider : ConfigurationProvider
{
    private readonly HoconStringConfigurationSource _source;

    /// <summary>Creates the provider for <paramref name="source"/>.</summary>
    public HoconStringConfigurationProvider(HoconStringConfigurationSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        _source = source;
    }

    /// <inheritdoc />
    public override void Load() =>
        Data = HoconParser.Parse(_source.Text, _source.Name, _source.ParseOptions).ToConfigurationData();
}
