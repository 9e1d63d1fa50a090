using Alerting.Configuration;

namespace Alerting.Events;

/// <summary>
/// The durations of source definitions: HOCON durations (<see cref="HoconDuration"/>, e.g. <c>5s</c>,
/// <c>100ms</c>, <c>2 hours</c>; a bare number is milliseconds), restricted to values that are not negative.
/// </summary>
internal static class Durations
{
    public static bool TryParse(string? text, out TimeSpan value)
    {
        if (HoconDuration.TryParse(text, out value) && value >= TimeSpan.Zero)
        {
            return true;
        }

        value = default;
        return false;
    }
}
