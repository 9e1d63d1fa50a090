using System.Globalization;
using Alerting.Events;
using Alerting.Rules.Storage;
using Alerting.Rules.Templates;

namespace Alerting.Rules.Tests;

/// <summary>The generator's injected scenarios against the shipped example rule set, through the engine.</summary>
public sealed class SeedPatternRulesSpec
{
    private const int Devices = 200;
    private static readonly SourceDefinition Source = new();

    private static RuleSet ExampleRules()
    {
        var instances = RuleFile.Load(Path.Combine(AppContext.BaseDirectory, "templates", "rules.example.conf"));
        var result = RuleSetCompiler.Compile(1, instances, ShippedTemplatesSpec.Library, Source.Schema());
        Assert.True(result.Succeeded, string.Join("\n", result.Errors));
        return result.RuleSet!;
    }

    private static SeedEventOptions Options => new()
    {
        Devices = Devices,
        Start = DateTimeOffset.UtcNow.AddHours(-2),
        Step = TimeSpan.FromMilliseconds(10),
        MaxDisorder = TimeSpan.FromSeconds(2),
        MalformedShare = 0.01,
        PatternShare = 0.01,
    };

    /// <summary>Decodes the generator's next records (malformed ones are dropped) and runs them through the example rules.</summary>
    private static List<AlertEvent> Run(SeedEventGenerator generator, int records)
    {
        var decoder = new EventDecoder(Source, TimeProvider.System);
        var events = new List<DeviceEvent>(records);
        var offset = 0L;
        foreach (var record in generator.Take(records))
        {
            var result = decoder.DecodeCopy(record.Value, new RecordOrigin("device-events", 0, offset++));
            Assert.Equal(record.Malformation is null, result.IsOk);
            if (result.IsOk)
            {
                events.Add(result.Event!);
            }
        }

        return RuleTestKit.Run(new RuleEngine(ExampleRules()), events, (long)Source.MaxOutOfOrderness.TotalMilliseconds);
    }

    private static bool OnScenarioDevice(AlertEvent alert) => int.Parse(alert.DeviceId, CultureInfo.InvariantCulture) > Devices;

    [Fact]
    public void The_example_rules_must_raise_one_alert_per_injected_scenario_beside_the_background()
    {
        var generator = new SeedEventGenerator(21, Options);
        var alerts = Run(generator, 40_000);

        var injected = alerts.Where(OnScenarioDevice).ToList();
        Assert.All(injected, a => Assert.Equal(AlertKind.Generate, a.Kind));
        Assert.Equal(generator.PairsInjected, injected.Count(a => a.RuleId == "ab"));
        Assert.Equal(generator.FaultAlarmsInjected, injected.Count(a => a.RuleId == "ca"));
        Assert.Equal(generator.RepeatsInjected, injected.Count(a => a.RuleId == "t5"));
        Assert.Equal(generator.PatternsInjected, injected.Select(a => a.DeviceId).Distinct().Count());
        Assert.True(generator.PatternsInjected >= 300, generator.PatternsInjected.ToString(CultureInfo.InvariantCulture));

        // The background's own random matches still happen, on its own devices only.
        Assert.Contains(alerts, a => !OnScenarioDevice(a));
    }

    [Theory]
    [InlineData(10.0)]
    [InlineData(0.05)] // twenty records a millisecond: a scenario's events would share their timestamp
    public void A_background_that_cannot_complete_a_rule_must_leave_exactly_the_injected_alerts(double stepMs)
    {
        // No Alarm, no second code of the pair and no threshold code: partial matches only.
        var generator = new SeedEventGenerator(22, Options with
        {
            Kinds = ["Fault", "Recover", "Run"],
            ErrorCodes = [101, 103, 104, 105, 201, 202, 301],
            Step = TimeSpan.FromMilliseconds(stepMs),
        });
        var alerts = Run(generator, 40_000);

        Assert.Equal(generator.PatternsInjected, alerts.Count);
        Assert.All(alerts, a => Assert.True(OnScenarioDevice(a) && a.Kind == AlertKind.Generate, a.ToString()));
        Assert.Equal(
            [("ab", generator.PairsInjected), ("ca", generator.FaultAlarmsInjected), ("t5", generator.RepeatsInjected)],
            alerts.GroupBy(a => a.RuleId).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (long)g.Count())));
    }
}
