using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>The service host's log messages (event ids 4650–4699).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = LogEvents.HostTransportInsecure, Level = LogLevel.Warning,
        Message = "transport security: {Finding} (alerting.profile = {Profile}: allowed here, refused under production)")]
    public static partial void TransportInsecure(ILogger logger, string profile, string finding);

    [LoggerMessage(EventId = LogEvents.HostBrokerCommandApplied, Level = LogLevel.Information,
        Message = "dev broker: command #{Number} applied: {Command}")]
    public static partial void BrokerCommandApplied(ILogger logger, int number, string command);

    [LoggerMessage(EventId = LogEvents.HostBrokerCommandRefused, Level = LogLevel.Warning,
        Message = "dev broker: command #{Number} refused: {Command}: {Reason}")]
    public static partial void BrokerCommandRefused(ILogger logger, int number, string command, string reason);

    [LoggerMessage(EventId = LogEvents.HostBrokerControlClosed, Level = LogLevel.Error,
        Message = "dev broker: the control channel (standard input) failed; the broker keeps serving without it")]
    public static partial void BrokerControlClosed(ILogger logger, Exception exception);
}
