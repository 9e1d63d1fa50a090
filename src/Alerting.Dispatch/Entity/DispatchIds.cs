using System.Security.Cryptography;
using System.Text;
using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Entity;

/// <summary>
/// Deterministic dispatch ids: the first 128 bits of SHA-256 over kind, device and alert id, in hex. The same alert
/// always gets the same dispatch id (and the same revoke id), whichever instance sends it and however often.
/// </summary>
public static class DispatchIds
{
    /// <summary>The id of the <paramref name="kind"/> message of <paramref name="alertId"/> on <paramref name="deviceId"/>.</summary>
    public static string For(DispatchKind kind, string deviceId, string alertId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        ArgumentNullException.ThrowIfNull(alertId);
        var text = (kind == DispatchKind.Dispatch ? "dispatch\n" : "revoke\n") + deviceId + "\n" + alertId;
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(text), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }
}
