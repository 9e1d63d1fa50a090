namespace Alerting.Configuration;

/// <summary>
/// HOCON sizes in bytes: a number followed by an optional unit. Powers of ten: <c>kB</c>/<c>KB</c>, <c>MB</c>,
/// <c>GB</c>, <c>TB</c>, <c>PB</c> (and <c>kilobytes</c>...). Powers of two: <c>K</c>/<c>k</c>/<c>Ki</c>/<c>KiB</c>,
/// <c>M</c>/<c>m</c>/<c>Mi</c>/<c>MiB</c>, <c>G</c>/<c>g</c>/<c>Gi</c>/<c>GiB</c>, <c>T</c>..., <c>P</c>...
/// (and <c>kibibytes</c>...). <c>B</c>/<c>b</c>/<c>bytes</c> or no unit is bytes. Examples: <c>512k</c> = 524288,
/// <c>10MB</c> = 10000000, <c>1MiB</c> = 1048576, <c>1.5GiB</c>. Negative sizes are rejected.
/// </summary>
public static class HoconSize
{
    /// <summary>What a size looks like, for error messages.</summary>
    public const string Expected = "a size in bytes (e.g. 512k, 10MB, 1MiB)";

    /// <summary>Parses a size; throws <see cref="FormatException"/> if the text is not one.</summary>
    public static long Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"\"{text}\" is not {Expected}");

    /// <summary>Parses a size in bytes; false if the text is not one or does not fit a <see cref="long"/>.</summary>
    public static bool TryParse(string? text, out long value)
    {
        value = 0;
        if (!NumberWithUnit.TrySplit(text, allowNegative: false, out var number, out var unit))
        {
            return false;
        }

        const decimal Ki = 1024m;
        decimal factor = unit switch
        {
            "" or "B" or "b" or "byte" or "bytes" => 1m,
            "kB" or "KB" or "kilobyte" or "kilobytes" => 1e3m,
            "MB" or "megabyte" or "megabytes" => 1e6m,
            "GB" or "gigabyte" or "gigabytes" => 1e9m,
            "TB" or "terabyte" or "terabytes" => 1e12m,
            "PB" or "petabyte" or "petabytes" => 1e15m,
            "K" or "k" or "Ki" or "KiB" or "kibibyte" or "kibibytes" => Ki,
            "M" or "m" or "Mi" or "MiB" or "mebibyte" or "mebibytes" => Ki * Ki,
            "G" or "g" or "Gi" or "GiB" or "gibibyte" or "gibibytes" => Ki * Ki * Ki,
            "T" or "t" or "Ti" or "TiB" or "tebibyte" or "tebibytes" => Ki * Ki * Ki * Ki,
            "P" or "p" or "Pi" or "PiB" or "pebibyte" or "pebibytes" => Ki * Ki * Ki * Ki * Ki,
            _ => -1m,
        };
        if (factor < 0)
        {
            return false;
        }

        try
        {
            var bytes = Math.Round(number * factor, MidpointRounding.AwayFromZero);
            if (bytes > long.MaxValue)
            {
                return false;
            }

            value = (long)bytes;
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}
