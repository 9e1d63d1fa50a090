using System.Globalization;

namespace Akka.Alerting.Events;

/// <summary>
/// Parses the HOCON-style durations of source definitions: a number and a unit, e.g. <c>5s</c>,
/// <c>100ms</c>, <c>1m</c>, <c>2 hours</c>; a bare number is milliseconds (as in HOCON).
/// Kept small and private to this library until the configuration library offers its own.
/// </summary>
internal static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var s = text.Trim();
        var end = 0;
        while (end < s.Length && (char.IsAsciiDigit(s[end]) || s[end] == '.'))
        {
            end++;
        }

        if (end == 0 || !double.TryParse(s.AsSpan(0, end), NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var amount))
        {
            return false;
        }

        double? unitMs = s.AsSpan(end).Trim() switch
        {
            "" or "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => 1,
            "us" or "micro" or "micros" or "microsecond" or "microseconds" => 0.001,
            "ns" or "nano" or "nanos" or "nanosecond" or "nanoseconds" => 0.000001,
            "s" or "second" or "seconds" => 1000,
            "m" or "minute" or "minutes" => 60_000,
            "h" or "hour" or "hours" => 3_600_000,
            "d" or "day" or "days" => 86_400_000,
            _ => null,
        };
        if (unitMs is null)
        {
            return false;
        }

        var ms = amount * unitMs.Value;
        if (!double.IsFinite(ms) || ms > TimeSpan.MaxValue.TotalMilliseconds)
        {
            return false;
        }

        value = TimeSpan.FromTicks((long)Math.Round(ms * TimeSpan.TicksPerMillisecond));
        return true;
    }
}
