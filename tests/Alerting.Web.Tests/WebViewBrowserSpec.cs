using System.Net;
using System.Text.Json;
using Deque.AxeCore.Playwright;
using Microsoft.Playwright;

namespace Alerting.Web.Tests;

/// <summary>
/// The web view in a real browser (Debian's chromium through Playwright) against a running demo node: each page shows
/// live data, answers the keyboard, passes an axe check without serious or critical violations, and leaves a
/// screenshot in <c>artifacts/ui/</c>.
/// </summary>
[Collection(WebViewCollection.Name)]
public sealed class WebViewBrowserSpec(WebViewFixture node)
{
    [Fact]
    public async Task The_alerts_page_must_show_live_alerts_arriving_and_per_rule_counts()
    {
        var page = await node.LoggedInPageAsync("/ui/alerts");
        Assert.Equal(node.BaseUrl + "/ui/alerts", page.Url); // the token left the address once the session cookie was set

        await page.Locator("#feed tbody tr").First.WaitForAsync();
        var first = await page.Locator("#feed tbody tr").CountAsync();
        await page.WaitForFunctionAsync($"() => document.querySelectorAll('#feed tbody tr').length > {first}");
        await Assertions.Expect(page.Locator("#feed-status")).ToContainTextAsync("live");
        await Assertions.Expect(page.Locator("#rule-counts tbody tr").First).ToBeVisibleAsync();
        await Assertions.Expect(page.Locator("#rate-chart svg polyline").First).ToBeAttachedAsync();
        await AccessibleAsync(page, "alerts");

        // filtered by kind: only revokes
        await page.SelectOptionAsync("#f-kind", "revoke");
        await page.ClickAsync("#feed-filter button[type=submit]");
        await page.Locator("#feed tbody tr").First.WaitForAsync();
        var kinds = await page.Locator("#feed tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.kind)");
        Assert.All(kinds, k => Assert.Equal("revoke", k));
    }

    [Fact]
    public async Task The_device_page_must_find_a_device_and_say_why_its_alert_was_dispatched()
    {
        var device = await node.FirstDeviceWithAsync("dispatch", TimeSpan.FromSeconds(90));
        var page = await node.LoggedInPageAsync("/ui/device");

        // keyboard only: the search field is reachable and the form submits with Enter
        await page.FocusAsync("#device-id");
        await page.Keyboard.TypeAsync(device);
        await page.Keyboard.PressAsync("Enter");

        var dispatched = page.Locator("#why tbody tr[data-outcome^='dispatched']").First;
        await dispatched.WaitForAsync();
        Assert.Contains("no revoke within its delay, not a repeat, not covered", await dispatched.InnerTextAsync(), StringComparison.Ordinal);
        await Assertions.Expect(page.Locator("#dispatcher h3")).ToHaveTextAsync(["Pending delays", "Open alerts and work orders", "Last dispatches"]);
        await Assertions.Expect(page.Locator("#matcher h3")).ToHaveTextAsync(["Partial matches", "Absence timers", "Open alerts of the matcher (a revoke may follow)"]);
        await Assertions.Expect(page.Locator("#matcher-note")).ToContainTextAsync("Asked the match stages of ");
        await Assertions.Expect(page.Locator("#device-status")).ToContainTextAsync("device " + device);

        await AccessibleAsync(page, "device");
    }

    [Fact]
    public async Task The_device_route_must_say_what_the_match_stages_hold_for_a_device_and_the_page_must_show_it()
    {
        // under the demo's traffic (300 devices, 1,500 events/s) a device that raised an alert soon holds a partial match again
        using var api = node.Api();
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(90);
        (string Device, JsonElement Partition, JsonElement Partial)? found = null;
        var asked = 0;
        while (found is null && DateTime.UtcNow < deadline)
        {
            var device = await node.FirstDeviceWithAsync("generate", TimeSpan.FromSeconds(60));
            using var doc = JsonDocument.Parse(await api.GetStringAsync(new Uri("/api/feed/devices/" + Uri.EscapeDataString(device), UriKind.Relative)));
            var matcher = doc.RootElement.GetProperty("matcher");
            asked = matcher.GetProperty("asked").GetInt32();
            foreach (var partition in matcher.GetProperty("partitions").EnumerateArray())
            {
                if (partition.GetProperty("partialMatches").EnumerateArray().FirstOrDefault() is { ValueKind: JsonValueKind.Object } partial)
                {
                    found = (device, partition.Clone(), partial.Clone());
                }
            }

            if (found is null)
            {
                await Task.Delay(500);
            }
        }

        Assert.True(found is not null, "no device of the demo held a partial match within 90 s");
        Assert.True(asked > 0);
        var (held, where, match) = found.Value;
        Assert.InRange(where.GetProperty("partition").GetInt32(), 0, asked - 1);
        var events = match.GetProperty("events").EnumerateArray().ToList();
        Assert.NotEmpty(events);
        var stepCount = match.GetProperty("stepCount").GetInt32();
        var times = events.Select(e => e.GetProperty("eventTime").GetInt64()).ToList();
        Assert.Equal(times.Order(), times);
        Assert.All(events, e => Assert.All(e.GetProperty("steps").EnumerateArray(), step => Assert.InRange(step.GetInt32(), 0, stepCount - 1)));
        Assert.True(match.GetProperty("expiresAt").GetInt64() > times[0]);
        Assert.True(where.GetProperty("watermark").GetInt64() >= times[^1], "a partial match holds only events the watermark has passed");

        var page = await node.LoggedInPageAsync("/ui/device?id=" + Uri.EscapeDataString(held));
        await Assertions.Expect(page.Locator("#matcher-note")).ToContainTextAsync($"Asked the match stages of {asked} partition(s)");
        await Assertions.Expect(page.Locator("#matcher h3").First).ToHaveTextAsync("Partial matches");
    }

    [Fact]
    public async Task The_rules_page_must_list_the_rule_set_and_try_it_on_pasted_events_inline()
    {
        var page = await node.LoggedInPageAsync("/ui/rules?from=spec");
        Assert.Equal(node.BaseUrl + "/ui/rules?from=spec", page.Url); // the token left, the rest of the query stayed
        await Assertions.Expect(page.Locator("#rules tbody tr")).ToHaveCountAsync(3);
        await Assertions.Expect(page.Locator("#rules tbody")).ToContainTextAsync("fault-pair");
        await Assertions.Expect(page.Locator("#rules tbody")).ToContainTextAsync("codeA=101");
        await Assertions.Expect(page.Locator("#nodes-status")).ToHaveTextAsync("1 member(s), 1 answered");
        await Assertions.Expect(page.Locator("#rules-nodes tbody tr")).ToContainTextAsync("ab/1");
        await Assertions.Expect(page.Locator("#rules-nodes tbody tr")).ToContainTextAsync("0: 1;"); // the demo node runs every partition under the rule file's version 1

        await page.ClickAsync("#trial-example");
        await page.ClickAsync("#trial button[type=submit]");
        await Assertions.Expect(page.Locator("#trial-summary")).ToHaveTextAsync("2 alert(s) from 3 rule(s)");
        await Assertions.Expect(page.Locator("#trial-result table")).ToContainTextAsync("FAULT_PAIR");
        await Assertions.Expect(page.Locator("#trial-result table")).ToContainTextAsync("e3, e4");

        // pasted rules replace the set in force; an invalid one is refused with the error shown inline
        await page.FillAsync("#trial-rules", "rules = [ { id = \"x\", template = \"no-such-template\", params { } } ]");
        await page.ClickAsync("#trial button[type=submit]");
        await Assertions.Expect(page.Locator("#trial-result .error")).ToContainTextAsync("no-such-template");

        await page.FillAsync("#trial-rules", "");
        await page.ClickAsync("#trial button[type=submit]");
        await Assertions.Expect(page.Locator("#trial-summary")).ToBeVisibleAsync();
        await AccessibleAsync(page, "rules");
    }

    [Fact]
    public async Task The_cluster_page_must_show_members_shards_lag_and_dead_letters()
    {
        var page = await node.LoggedInPageAsync("/ui/cluster");
        await Assertions.Expect(page.Locator("#members table")).ToContainTextAsync("Up");
        await Assertions.Expect(page.Locator("#members table")).ToContainTextAsync("(this node)");
        await Assertions.Expect(page.Locator("#shards table")).ToBeVisibleAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#lag svg rect").First).ToBeAttachedAsync(new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("#dlq table")).ToContainTextAsync("not_json", new() { Timeout = 30_000 });

        await AccessibleAsync(page, "cluster");
    }

    [Fact]
    public async Task Pages_must_need_the_token_off_loopback_ask_for_it_once_and_keep_the_header_path_for_the_api()
    {
        var context = await node.Browser.NewContextAsync();
        var page = await context.NewPageAsync();
        await page.GotoAsync(node.BaseUrl + "/ui/rules");
        Assert.StartsWith(node.BaseUrl + "/ui/login", page.Url, StringComparison.Ordinal);

        await page.FillAsync("#token", "wrong");
        await page.Keyboard.PressAsync("Enter");
        await Assertions.Expect(page.Locator("#failed")).ToBeVisibleAsync();

        await page.FillAsync("#token", WebViewFixture.Token);
        await page.Keyboard.PressAsync("Enter");
        // The state, polled, not a navigation event: the redirect after the form's post can commit before a waiter for it is in place.
        await Assertions.Expect(page).ToHaveURLAsync(node.BaseUrl + "/ui/rules", new() { Timeout = 30_000 });
        await Assertions.Expect(page.Locator("h1")).ToHaveTextAsync("Rules", new() { Timeout = 30_000 });
        var cookie = Assert.Single(await context.CookiesAsync(), c => c.Name == "alerting_session");
        Assert.True(cookie.HttpOnly);
        Assert.Equal(SameSiteAttribute.Strict, cookie.SameSite);
        Assert.DoesNotContain(WebViewFixture.Token, cookie.Value, StringComparison.Ordinal);
        await AccessibleAsync(page, null);

        using var anonymous = new HttpClient { BaseAddress = new Uri(node.BaseUrl) };
        using (var refused = await anonymous.GetAsync(new Uri("/api/feed/rates", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, refused.StatusCode);
        }

        using var api = node.Api();
        using var served = await api.GetAsync(new Uri("/api/feed/rates", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        using var unknown = await api.GetAsync(new Uri("/api/devices/a%20b", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, unknown.StatusCode);
        await context.CloseAsync();
    }

    /// <summary>No serious or critical axe violation; a screenshot into artifacts/ui/ when <paramref name="name"/> is given.</summary>
    private async Task AccessibleAsync(IPage page, string? name)
    {
        if (name is not null)
        {
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(node.Artifacts, name + ".png"), FullPage = true });
        }

        var result = await page.RunAxe();
        var bad = result.Violations.Where(v => v.Impact is "serious" or "critical").ToList();
        Assert.True(bad.Count == 0, "axe: " + string.Join("\n", bad.Select(v => $"{v.Impact} {v.Id}: {v.Help} at {string.Join(", ", v.Nodes.Select(n => string.Join(" ", n.Target)))}")));
    }
}
