using System.Text.RegularExpressions;
using Alerting.Dispatch.Messages;
using Alerting.Service.Demo;
using Alerting.Service.Hosting;

namespace Alerting.IntegrationTests;

/// <summary>The demo, in process, end to end over the embedded broker.</summary>
public sealed partial class DemoSpec
{
    [GeneratedRegex(@"^summary events_in=(\d+) alerts_out=(\d+) dispatched=(\d+) dead_letter=(\d+) late=(\d+)$", RegexOptions.Multiline)]
    private static partial Regex SummaryLine();

    [Fact]
    public async Task The_demo_must_run_for_its_duration_and_print_a_summary_with_events_in()
    {
        var output = new StringWriter();
        using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(2));

        var exit = await ServiceHost.RunAsync(
            Service.Hosting.CommandLine.Parse(["demo", "--duration", "6s", "--alerting:demo:events-per-second=5000", "--alerting:demo:devices=500"]),
            output,
            cts.Token);

        var text = output.ToString();
        Assert.Equal(0, exit);
        var summary = SummaryLine().Match(text);
        Assert.True(summary.Success, "no summary line in:\n" + text);
        Assert.True(long.Parse(summary.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) > 0, text);
        Assert.Contains("events_in=", text.Split('\n')[0], StringComparison.Ordinal);
        Assert.Matches(@"(?m)^status .* late=\d+ lookup_hits=\d+ lookup_misses=\d+ checkpoints=\d+$", text);
        Assert.Matches(@"(?m)^alert generate device=\S+ rule=\S+/\d+ type=\S+ alert_time=\S+ (fault_time=\S+ )?id=[0-9a-f]+$", text);
    }

    [Fact]
    public void The_demo_sample_must_show_the_first_records_of_each_kind_then_one_per_interval()
    {
        var sample = new DemoSample(initial: 2, every: TimeSpan.FromSeconds(5));
        var t0 = DateTimeOffset.UnixEpoch;

        Assert.True(sample.Take("alert generate", t0));
        Assert.True(sample.Take("alert generate", t0));
        Assert.False(sample.Take("alert generate", t0.AddSeconds(4)));
        Assert.True(sample.Take("dispatch dispatch", t0.AddSeconds(4)));
        Assert.True(sample.Take("alert generate", t0.AddSeconds(5)));
        Assert.False(sample.Take("alert generate", t0.AddSeconds(9)));
        Assert.True(sample.Take("alert generate", t0.AddSeconds(10)));
    }

    [Fact]
    public void The_demo_must_print_alerts_and_dispatches_with_device_rule_kind_and_times()
    {
        var alert = new AlertMessage
        {
            Kind = AlertKind.Revoke,
            DeviceNumber = "press-17",
            AlertType = "FAULT_PAIR",
            AlertId = "9f2c",
            AlertTime = DateTimeOffset.Parse("2026-01-01T10:00:01.250Z", System.Globalization.CultureInfo.InvariantCulture),
            FaultTime = DateTimeOffset.Parse("2026-01-01T10:00:00Z", System.Globalization.CultureInfo.InvariantCulture),
            RuleId = "ab",
            RuleVersion = 3,
        };
        var dispatch = new DispatchMessage("d1", DispatchKind.Dispatch, "9f2c", "FAULT_PAIR", "press-17", 5, null, alert.AlertTime);

        Assert.Equal(
            "alert revoke device=press-17 rule=ab/3 type=FAULT_PAIR alert_time=10:00:01.250 fault_time=10:00:00.000 id=9f2c",
            DemoTap.FormatAlert(alert));
        Assert.Equal(
            "dispatch dispatch device=press-17 type=FAULT_PAIR priority=5 time=10:00:01.250 alert=9f2c",
            DemoTap.FormatDispatch(dispatch));
    }
}
