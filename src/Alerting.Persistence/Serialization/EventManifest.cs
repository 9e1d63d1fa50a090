using System.Globalization;

namespace Alerting.Persistence;

/// <summary>
/// Names the type and shape version of a stored payload, written as <c>TypeName:Version</c> (e.g.
/// <c>AlertRaised:2</c>). The type name is a stable string chosen at registration, never a CLR type name, so
/// types can be renamed and moved without breaking stored events.
/// </summary>
public readonly record struct EventManifest(string TypeName, int Version)
{
    /// <summary>Parses <c>TypeName:Version</c>.</summary>
    /// <exception cref="FormatException">The text is not of that form.</exception>
    public static EventManifest Parse(string manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        var colon = manifest.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(manifest.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var version))
        {
            throw new FormatException($"'{manifest}' is not a manifest of the form TypeName:Version.");
        }
        return new EventManifest(manifest[..colon], version);
    }

    /// <inheritdoc />
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{TypeName}:{Version}");
}
