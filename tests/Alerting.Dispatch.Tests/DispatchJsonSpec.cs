using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;

namespace Alerting.Dispatch.Tests;

/// <summary>The JSON shapes of the alerts, work-order and dispatch topics.</summary>
public sealed class DispatchJsonSpec
{
    [Fact]
    public void An_alert_message_must_read_the_documented_shape()
    {
        const string json = """
            {"kind":"generate","DeviceNumber":"press-17","AlertType":"OVERHEAT","AlertID":"9f2c","AlertTime":"2026-01-01T10:00:00Z",
             "FaultTime":"2026-01-01T09:59:40Z","INFO":"too hot","Overrides":["FAN_SLOW"],"Delay":30000,"ruleId":"overheat",
             "ruleVersion":3,"priority":5,"extra":true}
            """;

        var alert = DispatchJson.ParseAlert(json);

        Assert.NotNull(alert);
        Assert.Equal(AlertKind.Generate, alert.Kind);
        Assert.Equal("press-17", alert.DeviceNumber);
        Assert.Equal("9f2c", alert.AlertId);
        Assert.Equal(new DateTimeOffset(2026, 1, 1, 9, 59, 40, TimeSpan.Zero), alert.FaultTime);
        Assert.Equal(["FAN_SLOW"], alert.Overrides!);
        Assert.Equal(30_000, alert.DelayMs);
        Assert.Equal(5, alert.Priority);
        Assert.Equal(3, alert.RuleVersion);
        Assert.Equal(alert, DispatchJson.ParseAlert(DispatchJson.Write(alert))! with { Overrides = alert.Overrides });
    }

    [Fact]
    public void A_revoke_needs_only_kind_device_and_id_and_bad_json_must_read_as_null()
    {
        var revoke = DispatchJson.ParseAlert("""{"kind":"revoke","DeviceNumber":"d","AlertID":"a"}""");
        Assert.Equal(AlertKind.Revoke, revoke!.Kind);
        Assert.Null(revoke.DelayMs);

        Assert.Null(DispatchJson.ParseAlert("{not json"));
        Assert.Null(DispatchJson.ParseAlert("""{"kind":"explode","DeviceNumber":"d","AlertID":"a"}"""));
        Assert.Null(DispatchJson.ParseAlert("""{"kind":"generate","AlertID":"a"}"""));
    }

    [Fact]
    public void A_timeout_alert_must_read_and_write_kind_timeout()
    {
        var alert = DispatchJson.ParseAlert("""{"kind":"timeout","DeviceNumber":"d","AlertID":"a","AlertType":"ALARM_UNACKNOWLEDGED","priority":2}""");
        Assert.Equal(AlertKind.Timeout, alert!.Kind);
        Assert.Contains("\"kind\":\"timeout\"", DispatchJson.Write(alert), StringComparison.Ordinal);
    }

    [Fact]
    public void Work_order_and_dispatch_messages_must_use_the_topic_field_names()
    {
        Assert.Equal(new WorkOrderMessage("d", "a", WorkOrderStatus.Closed),
            DispatchJson.ParseWorkOrder("""{"deviceId":"d","alertId":"a","status":"closed"}"""));

        var id = DispatchIds.For(DispatchKind.Revoke, "d", "a");
        var json = DispatchJson.Write(new DispatchMessage(id, DispatchKind.Revoke, "a", "T", "d", 2, null, Alerts.Time));

        Assert.Contains("\"kind\":\"revoke\"", json, StringComparison.Ordinal);
        Assert.Contains($"\"dispatchId\":\"{id}\"", json, StringComparison.Ordinal);
        Assert.Equal(32, id.Length);
        Assert.Equal(id, DispatchIds.For(DispatchKind.Revoke, "d", "a"));
        Assert.NotEqual(id, DispatchIds.For(DispatchKind.Dispatch, "d", "a"));
    }
}
