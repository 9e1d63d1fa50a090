using Alerting.Service.Operations;
using Microsoft.AspNetCore.Http;

namespace Alerting.Service.Web;

/// <summary>
/// The browser's side of <see cref="AdminAuth"/>: the token is given once (the login form, or <c>?token=</c> on a
/// page) and turned into an HttpOnly, SameSite=Strict session cookie; the API keeps its <c>Authorization</c> header.
/// </summary>
public static class WebSession
{
    /// <summary>Whether the request is for a page of the web view (refused requests are sent to the login form).</summary>
    public static bool IsPage(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        var path = request.Path.Value ?? "/";
        return request.Method is "GET" or "HEAD" && (path == "/" || path.StartsWith("/ui/", StringComparison.Ordinal) || path == "/ui");
    }

    /// <summary>
    /// A page asked with a right <c>?token=</c>: sets the session cookie and redirects to the page without the token
    /// (so it leaves the address bar and the history). True when it answered the request.
    /// </summary>
    public static bool TryStartFromQuery(AdminSettings settings, HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(context);
        var request = context.Request;
        if (!IsPage(request) || !request.Query.TryGetValue("token", out var given) || !AdminAuth.IsToken(settings, given.ToString()))
        {
            return false;
        }

        Start(settings, context.Response);
        var rest = request.Query.Where(q => q.Key != "token").SelectMany(q => q.Value.Select(v => Uri.EscapeDataString(q.Key) + "=" + Uri.EscapeDataString(v ?? "")));
        var query = string.Join("&", rest);
        context.Response.Redirect((request.Path.Value ?? "/") + (query.Length > 0 ? "?" + query : ""));
        return true;
    }

    /// <summary>Sets the session cookie (the node must have a token).</summary>
    public static void Start(AdminSettings settings, HttpResponse response)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(response);
        var token = settings.Token ?? throw new InvalidOperationException("no admin token is configured");
        response.Cookies.Append(AdminAuth.SessionCookie, AdminAuth.SessionValue(token), new CookieOptions
        {
            HttpOnly = true,
            SameSite = SameSiteMode.Strict,
            Path = "/",
            Secure = false, // the admin endpoint speaks plain HTTP; put TLS in front of it off a private network
            IsEssential = true,
        });
    }

    /// <summary>Where to go after logging in: a local path of the web view only (never another site).</summary>
    public static string SafeNext(string? next) =>
        next is { Length: > 1 } n && n.StartsWith("/ui/", StringComparison.Ordinal) && !n.Contains("//", StringComparison.Ordinal) && !n.Contains('\\', StringComparison.Ordinal)
            ? n
            : "/ui/alerts";
}
