using Microsoft.Extensions.Logging;

namespace Alerting.Service.Operations;

/// <summary>The admin endpoint's, the metrics' and the status line's log messages (event ids 1400–1499).</summary>
internal static partial class OperationsLog
{
    [LoggerMessage(EventId = LogEvents.AdminListening, Level = LogLevel.Information, Message = "admin endpoint listening on http://{Address}:{Port} (token {Token})")]
    public static partial void AdminListening(ILogger logger, string address, int port, string token);

    [LoggerMessage(EventId = LogEvents.AdminStopped, Level = LogLevel.Information, Message = "admin endpoint stopped")]
    public static partial void AdminStopped(ILogger logger);

    [LoggerMessage(EventId = LogEvents.AdminRefused, Level = LogLevel.Warning, Message = "admin request {Method} {Path} refused: {Reason}")]
    public static partial void AdminRefused(ILogger logger, string method, string path, string reason);

    [LoggerMessage(EventId = LogEvents.AdminFailed, Level = LogLevel.Error, Message = "admin request {Method} {Path} failed")]
    public static partial void AdminFailed(ILogger logger, string method, string path, Exception exception);

    [LoggerMessage(EventId = LogEvents.AdminStopFailed, Level = LogLevel.Error, Message = "admin endpoint did not stop cleanly")]
    public static partial void AdminStopFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = LogEvents.MetricsPartFailed, Level = LogLevel.Warning, Message = "metrics: {Part} could not be read for this scrape")]
    public static partial void MetricsPartFailed(ILogger logger, string part, Exception exception);

    [LoggerMessage(EventId = LogEvents.DeadLettersNotReplayed, Level = LogLevel.Warning, Message = "dlq replay of {Reason}: {Count} record(s) left out, cut when dead-lettered (their original bytes are gone; see alerting-original-size): re-send them from their producer")]
    public static partial void DeadLettersNotReplayed(ILogger logger, int count, string reason);

    [LoggerMessage(EventId = LogEvents.StatusFailed, Level = LogLevel.Error, Message = "status line could not be written")]
    public static partial void StatusFailed(ILogger logger, Exception exception);
}
