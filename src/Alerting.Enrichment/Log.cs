using Microsoft.Extensions.Logging;

namespace Alerting.Enrichment;

/// <summary>The enrichment stage's log messages (event ids 5100–5199).</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = LogEvents.LookupLoadFailed, Level = LogLevel.Warning,
        Message = "device-config lookup of {Devices} device(s) failed ({Failures} in a row); retrying in {Delay}")]
    public static partial void LoadFailed(ILogger logger, int devices, int failures, TimeSpan delay, Exception exception);

    [LoggerMessage(EventId = LogEvents.LookupLoadRecovered, Level = LogLevel.Information,
        Message = "device-config lookup recovered after {Failures} failed attempt(s)")]
    public static partial void LoadRecovered(ILogger logger, int failures);

    [LoggerMessage(EventId = LogEvents.LookupLoadFailedPermanently, Level = LogLevel.Error,
        Message = "device-config lookup of {Devices} device(s) failed with a non-transient error; failing the stream")]
    public static partial void LoadFailedPermanently(ILogger logger, int devices, Exception exception);
}
