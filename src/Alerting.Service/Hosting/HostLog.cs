using Microsoft.Extensions.Logging;

namespace Alerting.Service.Hosting;

/// <summary>The service host's log messages (event ids 4650–4699).</summary>
internal static partial class HostLog
{
    [LoggerMessage(EventId = LogEvents.HostTransportInsecure, Level = LogLevel.Warning,
        Message = "transport security: {Finding} (alerting.profile = {Profile}: allowed here, refused under production)")]
    public static partial void TransportInsecure(ILogger logger, string profile, string finding);
}
