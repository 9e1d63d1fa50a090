using System.Runtime.Serialization;
using System.Text;
using Akka.Actor;
using Akka.Serialization;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Serialization;

namespace Alerting.Dispatch.Tests;

/// <summary>The device entity's events and snapshot through Akka serialization, as the journal stores them.</summary>
public sealed class DeviceEventSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly AlertRecord Alert = new("a1", "OVERHEAT", 5, ["FAN"], "hot", Alerts.Time);

    public DeviceEventSerializerSpec()
        : base(DispatchPersistence.ReferenceConfig)
    {
    }

    public static TheoryData<object> Values() => new()
    {
        new AlertHeld(Alert, Alerts.Time.AddSeconds(30)),
        new AlertDispatched(Alert, "d1", Alerts.Time),
        new AlertDropped("a2", DropReason.Covered),
        new AlertCancelled("a3"),
        new AlertRevoked("a1", "r1", Alerts.Time.AddMinutes(1)),
        new WorkOrderOpened("a1"),
        new WorkOrderClosed("a1"),
        new OutboxDelivered(["d1", "r1"]),
        new DeviceSnapshot("press-1",
            [new PendingAlert(Alert with { AlertId = "p1" }, Alerts.Time.AddSeconds(5))],
            [new OpenAlert(Alert, "d1", WorkOrderOpened: true)],
            [new DispatchMessage("d1", DispatchKind.Dispatch, "a1", "OVERHEAT", "press-1", 5, "hot", Alerts.Time)],
            ["f1", "f2"]),
    };

    private Serializer SerializerOf(object value) => Sys.Serialization.FindSerializerFor(value);

    [Theory]
    [MemberData(nameof(Values))]
    public void Every_event_and_the_snapshot_round_trip_under_a_versioned_manifest(object value)
    {
        var serializer = Assert.IsType<DeviceEventSerializer>(SerializerOf(value));
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        Assert.Equal(value.GetType().Name + ".v1", manifest);

        var back = Sys.Serialization.Deserialize(serializer.ToBinary(value), serializer.Identifier, manifest);
        Assert.Equal(value.GetType(), back.GetType());
        Assert.Equal(Normalize(value), Normalize(back));
    }

    [Fact]
    public void A_manifest_of_the_earlier_journal_is_upcast_to_the_current_version()
    {
        var serializer = (DeviceEventSerializer)SerializerOf(new AlertCancelled("x"));
        var json = Encoding.UTF8.GetBytes("""{"Alert":{"AlertId":"a1","AlertType":"OVERHEAT","Priority":5,"Overrides":["FAN"],"Info":"hot","AlertTime":"2026-01-01T00:00:00+00:00"},"DueAt":"2026-01-01T00:00:30+00:00"}""");

        var held = Assert.IsType<AlertHeld>(serializer.FromBinary(json, "dispatch.AlertHeld:1"));
        Assert.Equal("a1", held.Alert.AlertId);
        Assert.Equal(["FAN"], held.Alert.Overrides);
        Assert.Equal(Alerts.Time.AddSeconds(30), held.DueAt);
    }

    [Theory]
    [InlineData("AlertExploded.v1", "no type is registered")]
    [InlineData("AlertHeld.v9", "newer version")]
    [InlineData("AlertHeld", "expected the form Name.vN")]
    public void An_unknown_manifest_is_a_clear_error(string manifest, string message)
    {
        var serializer = (DeviceEventSerializer)SerializerOf(new AlertCancelled("x"));
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), manifest));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(manifest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_that_does_not_fit_its_manifest_is_a_clear_error()
    {
        var serializer = (DeviceEventSerializer)SerializerOf(new AlertCancelled("x"));
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("[1,"u8.ToArray(), "AlertCancelled.v1"));
        Assert.Contains("AlertCancelled.v1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Records holding lists compare by reference: compare their JSON instead.</summary>
    private static string Normalize(object value) =>
        System.Text.Json.JsonSerializer.Serialize(value, value.GetType(), DispatchJsonContext.Default);
}
