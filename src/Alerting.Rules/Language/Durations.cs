using System.Globalization;

namespace Alerting.Rules;

/// <summary>
/// Durations as the rule language and rule parameters write them: an integer and a unit, e.g. <c>500ms</c>,
/// <c>30s</c>, <c>1m</c>, <c>2h</c>, <c>1d</c>; parameters also accept HOCON's long units
/// (<c>30 seconds</c>, <c>1 minute</c>).
/// </summary>
public static class Durations
{
    /// <summary>Milliseconds per unit, or 0 for an unknown unit.</summary>
    public static long UnitMillis(string unit) => unit switch
    {
        "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => 1,
        "s" or "second" or "seconds" => 1000,
        "m" or "minute" or "minutes" => 60_000,
        "h" or "hour" or "hours" => 3_600_000,
        "d" or "day" or "days" => 86_400_000,
        _ => 0,
    };

    /// <summary>Parses <c>&lt;integer&gt;[ ]&lt;unit&gt;</c>; false for anything else, and for a duration too long to hold in milliseconds.</summary>
    public static bool TryParse(string text, out long millis)
    {
        millis = 0;
        ArgumentNullException.ThrowIfNull(text);
        var s = text.Trim();
        var i = 0;
        while (i < s.Length && char.IsAsciiDigit(s[i]))
        {
            i++;
        }

        if (i == 0 || i > 15)
        {
            return false;
        }

        var n = long.Parse(s.AsSpan(0, i), NumberStyles.None, CultureInfo.InvariantCulture);
        var unit = s[i..].TrimStart();
        var per = UnitMillis(unit);
        if (per == 0)
        {
            return false;
        }

        if (n > long.MaxValue / per)
        {
            return false; // too long to hold in milliseconds
        }

        millis = n * per;
        return true;
    }

    /// <summary>The shortest exact form in the rule language's units, e.g. 60000 → <c>1m</c>.</summary>
    public static string Format(long millis)
    {
        foreach (var (unit, per) in new (string, long)[] { ("d", 86_400_000), ("h", 3_600_000), ("m", 60_000), ("s", 1000) })
        {
            if (millis != 0 && millis % per == 0)
            {
                return string.Create(CultureInfo.InvariantCulture, $"{millis / per}{unit}");
            }
        }

        return string.Create(CultureInfo.InvariantCulture, $"{millis}ms");
    }
}
