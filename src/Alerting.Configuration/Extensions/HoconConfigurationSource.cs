using Microsoft.Extensions.Configuration;

namespace Alerting.Configuration;

/// <summary>A HOCON file as a Microsoft.Extensions.Configuration source (see <c>AddHoconFile</c>).</summary>
public sealed class HoconConfigurationSource : FileConfigurationSource
{
    /// <summary>Environment lookup for substitutions; the defaults if null.</summary>
    public HoconParseOptions? ParseOptions { get; set; }

    /// <inheritdoc />
    public override IConfigurationProvider Build(IConfigurationBuilder builder)
    {
        EnsureDefaults(builder);
        return new HoconConfigurationProvider(this);
    }
}
