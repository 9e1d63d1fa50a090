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
            Kind = alert.Kind == RulesAlertKind.Generate ? DispatchAlertKind.Generate : DispatchAlertKind.Revoke,
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

    /// <summary>The Kafka record of an alert: key = device id, value = UTF-8 JSON.</summary>
    public static Message<byte[]?, byte[]> ToRecord(AlertEvent alert, IReadOnlyList<string>? overrides = null) => new()
    {
        Key = Encoding.UTF8.GetBytes(alert.DeviceId),
        Value = Encoding.UTF8.GetBytes(DispatchJson.Write(ToMessage(alert, overrides))),
    };
}
