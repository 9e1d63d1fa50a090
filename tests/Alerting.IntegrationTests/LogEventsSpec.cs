using System.Reflection;
using Microsoft.Extensions.Logging;

namespace Alerting.IntegrationTests;

/// <summary>Every log message of the service takes its event id from the one table, and no two share an id.</summary>
public sealed class LogEventsSpec
{
    private static readonly Assembly[] Assemblies =
    [
        typeof(Alerting.Service.Settings.AlertingSettings).Assembly,
        typeof(Alerting.Kafka.KafkaClients).Assembly,
        typeof(Alerting.Dispatch.Messages.AlertMessage).Assembly,
        typeof(Alerting.Enrichment.DeviceConfigLookup).Assembly,
        typeof(Alerting.Events.DeviceEvent).Assembly,
        typeof(Alerting.Rules.RuleSet).Assembly,
    ];

    [Fact]
    public void Each_log_message_must_have_an_event_id_of_the_table_of_its_own()
    {
        var table = Assemblies[0].GetType("Alerting.LogEvents", throwOnError: true)!
            .GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .ToDictionary(f => f.Name, f => (int)f.GetRawConstantValue()!);
        var messages = Assemblies
            .SelectMany(a => a.GetTypes())
            .SelectMany(t => t.GetMethods(BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Static | BindingFlags.Instance | BindingFlags.DeclaredOnly))
            .Select(m => (Method: $"{m.DeclaringType!.FullName}.{m.Name}", Attribute: m.GetCustomAttribute<LoggerMessageAttribute>()))
            .Where(m => m.Attribute is not null)
            .Select(m => (m.Method, Id: m.Attribute!.EventId))
            .ToList();

        Assert.True(messages.Count >= 50, $"only {messages.Count} log messages found");
        Assert.Equal(table.Count, table.Values.Distinct().Count());
        Assert.All(messages, m => Assert.Contains(m.Id, table.Values));
        var shared = messages.GroupBy(m => m.Id).Where(g => g.Count() > 1).Select(g => $"{g.Key}: {string.Join(", ", g.Select(m => m.Method))}").ToList();
        Assert.Empty(shared);
        Assert.Empty(table.Where(e => messages.All(m => m.Id != e.Value)).Select(e => e.Key)); // no stale entry
    }
}
