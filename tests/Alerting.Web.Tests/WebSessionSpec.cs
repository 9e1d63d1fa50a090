using Akka.Configuration;
using Alerting.Service.Operations;
using Alerting.Service.Web;

namespace Alerting.Web.Tests;

/// <summary>The browser's session: the admin token turned into a cookie that stands in for the header on reads only.</summary>
public sealed class WebSessionSpec
{
    private static AdminSettings Settings(string bind, string? token) =>
        AdminSettings.Create(ConfigurationFactory.ParseString($"alerting.admin {{ bind = \"{bind}\", token-env = WEB_SPEC_TOKEN }}"),
            name => name == "WEB_SPEC_TOKEN" ? token : null);

    [Fact]
    public void Off_loopback_the_session_cookie_must_stand_in_for_the_token_on_reads_and_the_rule_test_but_not_on_changes()
    {
        var settings = Settings("0.0.0.0", "s3cret");
        var session = AdminAuth.SessionValue("s3cret");

        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(settings, "GET", "/ui/alerts", null));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "GET", "/ui/alerts", null, session));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "GET", "/api/feed/stream", null, session));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "POST", "/api/rules/test", null, session));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(settings, "POST", "/api/cluster/leave", null, session));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(settings, "GET", "/ui/alerts", null, AdminAuth.SessionValue("other")));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(settings, "GET", "/ui/alerts", null, "s3cret"));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "POST", "/api/cluster/leave", "Bearer s3cret", null));
    }

    [Fact]
    public void The_login_form_must_be_served_without_a_session_and_the_cookie_must_not_hold_the_token()
    {
        var settings = Settings("0.0.0.0", "s3cret");
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "GET", "/ui/login", null));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "POST", "/ui/login", null));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(settings, "GET", "/ui/app.css", null));
        Assert.Equal(AdminAccess.Unauthorized, AdminAuth.Decide(settings, "GET", "/ui/app.js", null));
        Assert.DoesNotContain("s3cret", AdminAuth.SessionValue("s3cret"), StringComparison.Ordinal);
        Assert.True(AdminAuth.IsToken(settings, "s3cret"));
        Assert.False(AdminAuth.IsToken(settings, "s3cre"));
        Assert.False(AdminAuth.IsToken(Settings("127.0.0.1", null), ""));
    }

    [Fact]
    public void On_loopback_without_a_token_the_pages_and_the_rule_test_must_be_served_and_changes_refused()
    {
        var open = Settings("127.0.0.1", null);
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(open, "GET", "/ui/device", null));
        Assert.Equal(AdminAccess.Allowed, AdminAuth.Decide(open, "POST", "/api/rules/test", null));
        Assert.Equal(AdminAccess.NoTokenConfigured, AdminAuth.Decide(open, "POST", "/api/dlq/replay", null));
    }

    [Fact]
    public void After_login_only_a_local_page_of_the_web_view_is_a_place_to_go()
    {
        Assert.Equal("/ui/rules", WebSession.SafeNext("/ui/rules"));
        Assert.Equal("/ui/alerts", WebSession.SafeNext("https://elsewhere.example/ui/"));
        Assert.Equal("/ui/alerts", WebSession.SafeNext("//elsewhere.example"));
        Assert.Equal("/ui/alerts", WebSession.SafeNext("/ui//elsewhere"));
        Assert.Equal("/ui/alerts", WebSession.SafeNext(null));
    }

    [Fact]
    public void Device_ids_must_be_checked_before_any_entity_is_asked()
    {
        Assert.True(WebRoutes.IsDeviceId("press-17"));
        Assert.True(WebRoutes.IsDeviceId("plant1:line_2.m@3"));
        Assert.False(WebRoutes.IsDeviceId(""));
        Assert.False(WebRoutes.IsDeviceId("a b"));
        Assert.False(WebRoutes.IsDeviceId("../x"));
        Assert.False(WebRoutes.IsDeviceId(new string('x', 257)));
        Assert.False(WebRoutes.IsDeviceId("gerät"));
    }

    [Fact]
    public void Every_page_must_be_shipped_in_the_assembly()
    {
        Assert.Superset(new HashSet<string> { "alerts.html", "device.html", "rules.html", "cluster.html", "login.html", "app.css", "app.js" }, WebAssets.Names.ToHashSet());
        Assert.Equal("text/html; charset=utf-8", WebAssets.ContentType("alerts.html"));
        Assert.DoesNotContain("http://", System.Text.Encoding.UTF8.GetString(WebAssets.Get("app.js")!).Replace("http://www.w3.org/2000/svg", "", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Null(WebAssets.Get("layout.html"));
    }

    [Theory]
    [InlineData("alerts", "Alerts")]
    [InlineData("device", "Device")]
    [InlineData("rules", "Rules")]
    [InlineData("cluster", "Cluster")]
    public void Every_page_must_be_served_whole_inside_the_shared_frame(string page, string title)
    {
        var html = System.Text.Encoding.UTF8.GetString(WebAssets.Get(page + ".html")!);
        Assert.StartsWith("<!doctype html>", html, StringComparison.Ordinal);
        Assert.Contains($"<title>{title} · Akka.Alerting</title>", html, StringComparison.Ordinal);
        Assert.Contains($"<body data-page=\"{page}\">", html, StringComparison.Ordinal);
        Assert.Contains("<nav aria-label=\"Pages\">", html, StringComparison.Ordinal);
        Assert.Contains("<main id=\"main\">\n<h1>", html, StringComparison.Ordinal);
        Assert.EndsWith("</main>\n<script src=\"/ui/app.js\"></script>\n</body>\n</html>\n", html, StringComparison.Ordinal);
        Assert.DoesNotContain("{{", html, StringComparison.Ordinal);
    }
}
