namespace Alerting.Configuration;

/// <summary>The booleans HOCON accepts: true/false, yes/no, on/off, in any case.</summary>
public static class HoconBoolean
{
    /// <summary>Parses true/false/yes/no/on/off (case-insensitive, surrounding whitespace ignored).</summary>
    public static bool TryParse(string? text, out bool value)
    {
        switch (text?.Trim().ToUpperInvariant())
        {
            case "TRUE" or "YES" or "ON":
                value = true;
                return true;
            case "FALSE" or "NO" or "OFF":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }
}
