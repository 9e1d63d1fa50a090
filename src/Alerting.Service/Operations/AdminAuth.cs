using System.Security.Cryptography;
using System.Text;

namespace Alerting.Service.Operations;

/// <summary>What the admin endpoint does with a request before routing it.</summary>
public enum AdminAccess
{
    /// <summary>Served.</summary>
    Allowed,

    /// <summary>Refused with 401: a token is needed and the request carries none or a wrong one.</summary>
    Unauthorized,

    /// <summary>Refused with 403: a state-changing call while the node has no token configured.</summary>
    NoTokenConfigured,
}

/// <summary>
/// The admin endpoint's access rule, plain C#: a bearer token is required for every call that changes state (any
/// method but GET and HEAD), and for every call when the endpoint is not bound to loopback (except
/// <c>/health/*</c> with <c>alerting.admin.anonymous-health = on</c>, for kubelet probes). Without a configured
/// token, state-changing calls are refused; reads are served on loopback only (start-up refuses a non-loopback
/// bind without a token).
/// </summary>
public static class AdminAuth
{
    /// <summary>Decides a request.</summary>
    /// <param name="settings">The endpoint's settings (bind address, token, anonymous health).</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The request path.</param>
    /// <param name="authorization">The <c>Authorization</c> header's value, if any.</param>
    public static AdminAccess Decide(AdminSettings settings, string method, string path, string? authorization)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var read = method is "GET" or "HEAD";
        var health = path.StartsWith("/health/", StringComparison.Ordinal);
        var needsToken = !read || (!settings.IsLoopback && !(health && settings.AnonymousHealth));
        if (!needsToken)
        {
            return AdminAccess.Allowed;
        }

        if (settings.Token is not { } token)
        {
            return AdminAccess.NoTokenConfigured;
        }

        return Matches(token, authorization) ? AdminAccess.Allowed : AdminAccess.Unauthorized;
    }

    /// <summary>Whether <paramref name="authorization"/> is <c>Bearer &lt;token&gt;</c>, compared in constant time.</summary>
    private static bool Matches(string token, string? authorization)
    {
        const string scheme = "Bearer ";
        if (authorization is null || !authorization.StartsWith(scheme, StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var given = Encoding.UTF8.GetBytes(authorization[scheme.Length..].Trim());
        var expected = Encoding.UTF8.GetBytes(token);
        return CryptographicOperations.FixedTimeEquals(given, expected);
    }
}
