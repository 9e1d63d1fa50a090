using System.Text;
using Alerting.Dispatch.Messages;
using Alerting.Rules;
using Confluent.Kafka;
using DispatchAlertKind = Alerting.Dispatch.Messages.AlertKind;
using RulesAlertKind = Alerting.Rules.AlertKind;

namespace Alerting.Service.Pipeline;

/// <summary>Turns the matcher's <see cref="AlertEvent"/>s into records of the alerts topic, keyed by device.</summary>
public static class AlertRecords
{
    /// <summary>The alerts-topic message of an alert (the seed's columns plus kind, rule and priority).</summary>
    public static AlertMessage ToMessage(AlertEvent alert, IReadOnlyList<string>? overrides = null)
    {
        ArgumentNullException.ThrowIfNull(alert);
        return new AlertMessage
        {
            Kind = alert.Kind switch
            {
                RulesAlertKind.Generate => DispatchAlertKind.Generate,
                RulesAlertKind.Timeout => DispatchAlertKind.Timeout,
                _ => DispatchAlertKind.Revoke,
            },
            DeviceNumber = alert.DeviceId,
            AlertType = alert.AlertType,
            AlertId = alert.AlertId,
            AlertTime = DateTimeOffset.FromUnixTimeMilliseconds(alert.AlertTime),
            FaultTime = DateTimeOffset.FromUnixTimeMilliseconds(alert.FaultTime),
            Info = alert.Info,
            Overrides = overrides,
            DelayMs = (long)alert.Delay.TotalMilliseconds,
            RuleId = alert.RuleId,
            RuleVersion = alert.RuleVersion,
            Priority = alert.Priority,
        };
    }

    /// <summary>
    /// An alert joined with its device's configuration: the overrides of a device that has any, and, for an alert
    /// whose rule gave no info, the device's level, info and SLA info (<c>level=3 info=line-2 sla=sla-tier-3</c>); a
    /// rule's own info is kept. A device with no row passes with no overrides and its info unchanged.
    /// </summary>
    public static (AlertEvent Alert, IReadOnlyList<string>? Overrides) Enrich(AlertEvent alert, Alerting.Enrichment.DeviceConfig config)
    {
        ArgumentNullException.ThrowIfNull(alert);
        ArgumentNullException.ThrowIfNull(config);
        if (config.IsDefault)
        {
            return (alert, null);
        }

        var overrides = config.Overrides.Count > 0 ? config.Overrides : null;
        return (string.IsNullOrEmpty(alert.Info) ? alert with { Info = DeviceInfo(config) } : alert, overrides);
    }

    /// <summary>The INFO of an alert whose rule gave none: the device's level, info and SLA info.</summary>
    public static string DeviceInfo(Alerting.Enrichment.DeviceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var info = string.Create(System.Globalization.CultureInfo.InvariantCulture, $"level={config.Level}");
        if (!string.IsNullOrEmpty(config.Info))
        {
            info += " info=" + config.Info;
        }

        if (!string.IsNullOrEmpty(config.SlaInfo))
        {
            info += " sla=" + config.SlaInfo;
        }

        return info;
    }

    /// <summary>The header an alert found by a rule's bootstrap over history carries, with the value <c>true</c>.</summary>
    public const string BootstrapHeader = "alerting-bootstrap";

    /// <summary>
    /// The Kafka record of an alert: key = device id, value = UTF-8 JSON; an alert found by a bootstrap over history
    /// carries the header <see cref="BootstrapHeader"/><c>: true</c>.
    /// </summary>
    public static Message<byte[]?, byte[]> ToRecord(AlertEvent alert, IReadOnlyList<string>? overrides = null) => new()
    {
        Key = Encoding.UTF8.GetBytes(alert.DeviceId),
        Value = Encoding.UTF8.GetBytes(DispatchJson.Write(ToMessage(alert, overrides))),
        Headers = alert.Bootstrap ? [new Header(BootstrapHeader, "true"u8.ToArray())] : null,
    };
}
