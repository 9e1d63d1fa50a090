namespace Alerting.Events;

/// <summary>
/// A fast path for the one timestamp shape nearly every record carries — UTC ISO-8601 with an optional
/// fraction, <c>yyyy-MM-ddTHH:mm:ss[.f…]Z</c> — straight from UTF-8 bytes to Unix milliseconds by arithmetic.
/// Anything else (offsets, no 'Z', odd lengths) returns false and the caller falls back to the general parser.
/// </summary>
internal static class Iso8601
{
    public static bool TryParseUtc(ReadOnlySpan<byte> s, out long unixMs)
    {
        unixMs = 0;
        if (s.Length < 20 || s.Length > 30 || s[^1] != (byte)'Z' || s[4] != (byte)'-' || s[7] != (byte)'-'
            || (s[10] != (byte)'T' && s[10] != (byte)'t') || s[13] != (byte)':' || s[16] != (byte)':')
        {
            return false;
        }

        if (!Digits(s, 0, 4, out var year) || !Digits(s, 5, 2, out var month) || !Digits(s, 8, 2, out var day)
            || !Digits(s, 11, 2, out var hour) || !Digits(s, 14, 2, out var minute) || !Digits(s, 17, 2, out var second))
        {
            return false;
        }

        var millis = 0;
        if (s.Length > 20)
        {
            // ".f" up to ".fffffffff" then 'Z'
            if (s[19] != (byte)'.' || s.Length < 22)
            {
                return false;
            }

            var fraction = s[20..^1];
            for (var i = 0; i < fraction.Length; i++)
            {
                var d = fraction[i] - '0';
                if ((uint)d > 9)
                {
                    return false;
                }

                if (i < 3)
                {
                    millis = (millis * 10) + d;
                }
            }

            for (var i = fraction.Length; i < 3; i++)
            {
                millis *= 10;
            }
        }

        if (year < 1 || month is < 1 or > 12 || day < 1 || day > DateTime.DaysInMonth(year, month) || hour > 23 || minute > 59 || second > 59)
        {
            return false;
        }

        unixMs = (DaysFromCivil(year, month, day) * 86_400_000L) + (hour * 3_600_000L) + (minute * 60_000L) + (second * 1000L) + millis;
        return true;
    }

    private static bool Digits(ReadOnlySpan<byte> s, int start, int count, out int value)
    {
        value = 0;
        for (var i = start; i < start + count; i++)
        {
            var d = s[i] - '0';
            if ((uint)d > 9)
            {
                return false;
            }

            value = (value * 10) + d;
        }

        return true;
    }

    /// <summary>Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's days_from_civil).</summary>
    private static long DaysFromCivil(int y, int m, int d)
    {
        y -= m <= 2 ? 1 : 0;
        var era = (y >= 0 ? y : y - 399) / 400;
        var yoe = y - (era * 400);
        var doy = ((153 * (m + (m > 2 ? -3 : 9))) + 2) / 5 + d - 1;
        var doe = (yoe * 365) + (yoe / 4) - (yoe / 100) + doy;
        return (era * 146097L) + doe - 719468;
    }
}
