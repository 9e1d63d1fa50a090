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
/// bind without a token). A browser shows the token once (the web view's login form or <c>?token=</c>) and then
/// carries a session cookie, <see cref="SessionValue"/> of the token: it stands in for the header on reads and on the
/// side-effect-free <c>POST /api/rules/test</c>, never on a call that changes state (those keep the header).
/// </summary>
public static class AdminAuth
{
    /// <summary>Decides a request.</summary>
    /// <param name="settings">The endpoint's settings (bind address, token, anonymous health).</param>
    /// <param name="method">The HTTP method.</param>
    /// <param name="path">The request path.</param>
    /// <param name="authorization">The <c>Authorization</c> header's value, if any.</param>
    /// <param name="session">The web view's session cookie, if any.</param>
    public static AdminAccess Decide(AdminSettings settings, string method, string path, string? authorization, string? session = null)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(path);
        if (IsLogin(method, path))
        {
            return AdminAccess.Allowed; // the login form, its style sheet, and the form's post (which checks the token itself)
        }

        var read = method is "GET" or "HEAD" || IsSideEffectFree(method, path);
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

        if (Matches(token, authorization))
        {
            return AdminAccess.Allowed;
        }

        return read && session is not null && SessionMatches(token, session) ? AdminAccess.Allowed : AdminAccess.Unauthorized;
    }

    /// <summary>The name of the web view's session cookie.</summary>
    public const string SessionCookie = "alerting_session";

    /// <summary>
    /// The session cookie's value for <paramref name="token"/>: an HMAC of a fixed label under the token, so the cookie
    /// never holds the token itself, and changing the token ends every session.
    /// </summary>
    public static string SessionValue(string token)
    {
        ArgumentNullException.ThrowIfNull(token);
        return Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(token), "alerting-web-session/1"u8));
    }

    /// <summary>Whether <paramref name="given"/> is the configured token, compared in constant time.</summary>
    public static bool IsToken(AdminSettings settings, string? given)
    {
        ArgumentNullException.ThrowIfNull(settings);
        return settings.Token is { } token && given is not null
            && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(given.Trim()), Encoding.UTF8.GetBytes(token));
    }

    /// <summary>The web view's login form and what it needs before a session exists.</summary>
    private static bool IsLogin(string method, string path) =>
        path is "/ui/login" && method is "GET" or "HEAD" or "POST"
        || path is "/ui/app.css" && method is "GET" or "HEAD";

    /// <summary>Calls that are not GET but change nothing: trying rules on sample events.</summary>
    private static bool IsSideEffectFree(string method, string path) =>
        method == "POST" && string.Equals(path, "/api/rules/test", StringComparison.Ordinal);

    private static bool SessionMatches(string token, string session) =>
        CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(session), Encoding.UTF8.GetBytes(SessionValue(token)));

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
