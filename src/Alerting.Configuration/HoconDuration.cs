using System.Globalization;

namespace Alerting.Configuration;

/// <summary>
/// HOCON durations: a number (integer or decimal) followed, with or without spaces, by a unit:
/// <c>ns</c>/<c>nanos</c>/<c>nanoseconds</c>, <c>us</c>/<c>micros</c>/<c>microseconds</c>,
/// <c>ms</c>/<c>millis</c>/<c>milliseconds</c>, <c>s</c>/<c>seconds</c>, <c>m</c>/<c>minutes</c>, <c>h</c>/<c>hours</c>,
/// <c>d</c>/<c>days</c> (singular forms too). A bare number is milliseconds, as in Akka. Results are rounded to
/// whole <see cref="TimeSpan"/> ticks (100 ns). Examples: <c>5s</c>, <c>100ms</c>, <c>2 hours</c>, <c>1.5m</c>, <c>500us</c>.
/// </summary>
public static class HoconDuration
{
    /// <summary>What a duration looks like, for error messages.</summary>
    public const string Expected = "a duration (e.g. 5s, 100ms)";

    /// <summary>Parses a duration; throws <see cref="FormatException"/> if the text is not one.</summary>
    public static TimeSpan Parse(string text) =>
        TryParse(text, out var value) ? value : throw new FormatException($"\"{text}\" is not {Expected}");

    /// <summary>Parses a duration; false if the text is not one or does not fit a <see cref="TimeSpan"/>.</summary>
    public static bool TryParse(string? text, out TimeSpan value)
    {
        value = default;
        if (!NumberWithUnit.TrySplit(text, allowNegative: true, out var number, out var unit))
        {
            return false;
        }

        decimal ticksPerUnit = unit switch
        {
            "" or "ms" or "milli" or "millis" or "millisecond" or "milliseconds" => TimeSpan.TicksPerMillisecond,
            "ns" or "nano" or "nanos" or "nanosecond" or "nanoseconds" => 0.01m,
            "us" or "µs" or "micro" or "micros" or "microsecond" or "microseconds" => TimeSpan.TicksPerMicrosecond,
            "s" or "second" or "seconds" => TimeSpan.TicksPerSecond,
            "m" or "minute" or "minutes" => TimeSpan.TicksPerMinute,
            "h" or "hour" or "hours" => TimeSpan.TicksPerHour,
            "d" or "day" or "days" => TimeSpan.TicksPerDay,
            _ => -1m,
        };
        if (ticksPerUnit < 0)
        {
            return false;
        }

        try
        {
            var ticks = Math.Round(number * ticksPerUnit, MidpointRounding.AwayFromZero);
            if (ticks > TimeSpan.MaxValue.Ticks || ticks < TimeSpan.MinValue.Ticks)
            {
                return false;
            }

            value = TimeSpan.FromTicks((long)ticks);
            return true;
        }
        catch (OverflowException)
        {
            return false;
        }
    }
}

/// <summary>Splits <c>12.5 MiB</c> into a decimal number and a unit word.</summary>
internal static class NumberWithUnit
{
    public static bool TrySplit(string? text, bool allowNegative, out decimal number, out string unit)
    {
        number = 0;
        unit = string.Empty;
        var s = text?.Trim();
        if (string.IsNullOrEmpty(s))
        {
            return false;
        }

        var i = 0;
        if (s[0] == '-' || s[0] == '+')
        {
            i++;
        }

        var digits = 0;
        while (i < s.Length && (char.IsAsciiDigit(s[i]) || s[i] == '.'))
        {
            digits += char.IsAsciiDigit(s[i]) ? 1 : 0;
            i++;
        }

        if (digits == 0)
        {
            return false;
        }

        var style = NumberStyles.AllowDecimalPoint | (allowNegative ? NumberStyles.AllowLeadingSign : NumberStyles.None);
        if (!decimal.TryParse(s.AsSpan(0, i), style, CultureInfo.InvariantCulture, out number))
        {
            return false;
        }

        unit = s[i..].Trim();
        return true;
    }
}
