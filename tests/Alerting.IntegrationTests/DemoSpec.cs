using System.Text.RegularExpressions;
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
    }
}
