using System.Runtime.Serialization;
using Akka.Serialization;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Serialization;
using Alerting.Dispatch.Sharding;

namespace Alerting.Dispatch.Tests;

/// <summary>The messages to and from the device entities through Akka serialization, as they cross between nodes.</summary>
public sealed class DeviceMessageSerializerSpec : Akka.TestKit.Xunit2.TestKit
{
    private static readonly AlertRecord Record = new("a1", "OVERHEAT", 5, ["FAN"], "hot", Alerts.Time);

    public DeviceMessageSerializerSpec()
        : base(DispatchPersistence.ReferenceConfig)
    {
    }

    public static TheoryData<object, string> Values() => new()
    {
        { new DeviceEnvelope("press-1", new AlertCommand(Alerts.Generate("press-1", "a1", "OVERHEAT", 5, 300, ["FAN"]))), "DeviceEnvelope.v1" },
        { new DeviceEnvelope("press-1", new WorkOrderCommand("a1", WorkOrderStatus.Closed)), "DeviceEnvelope.v1" },
        { new DeviceEnvelope("press-1", new OutboxAcknowledged(["d1", "d2"])), "DeviceEnvelope.v1" },
        { new DeviceEnvelope("press-1", StopDeviceEntity.Instance), "DeviceEnvelope.v1" },
        { new DeviceCommandAck("press-1", [new AlertDispatched(Record, "d1", Alerts.Time), new AlertDropped("a2", DropReason.Covered)], null), "DeviceCommandAck.v1" },
        { new DeviceCommandAck("press-1", [], DropReason.Duplicate), "DeviceCommandAck.v1" },
        { new AlertCommand(Alerts.Revoke("press-1", "a1")), "AlertCommand.v1" },
        { new WorkOrderCommand("a1", WorkOrderStatus.Opened), "WorkOrderCommand.v1" },
        { new OutboxAcknowledged(["d1"]), "OutboxAcknowledged.v1" },
        { StopDeviceEntity.Instance, "StopDeviceEntity.v1" },
        { new DeviceCommandFailed("press-1", "connection refused"), "DeviceCommandFailed.v1" },
        { new DeviceCommandFailed("press-1", "cannot serialize", Rejected: true), "DeviceCommandFailed.v1" },
    };

    [Theory]
    [MemberData(nameof(Values))]
    public void Every_message_round_trips_under_a_versioned_manifest_of_its_own_serializer(object value, string expectedManifest)
    {
        var serializer = Assert.IsType<DeviceMessageSerializer>(Sys.Serialization.FindSerializerFor(value));
        var manifest = Akka.Serialization.Serialization.ManifestFor(serializer, value);
        Assert.Equal(expectedManifest, manifest);

        var back = Sys.Serialization.Deserialize(serializer.ToBinary(value), serializer.Identifier, manifest);
        Assert.Equal(value.GetType(), back.GetType());
        Assert.Equal(Describe(value), Describe(back));
    }

    [Fact]
    public void An_acknowledgements_events_keep_the_event_serializers_manifests()
    {
        var ack = new DeviceCommandAck("press-1", [new AlertHeld(Record, Alerts.Time.AddSeconds(30))], null);
        var serializer = (DeviceMessageSerializer)Sys.Serialization.FindSerializerFor(ack);
        var json = System.Text.Encoding.UTF8.GetString(serializer.ToBinary(ack));
        Assert.Contains("AlertHeld.v1", json, StringComparison.Ordinal);
        Assert.Contains(DeviceEventSerializer.SerializerId.ToString(System.Globalization.CultureInfo.InvariantCulture), json, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("DeviceExploded.v1", "no type is registered")]
    [InlineData("DeviceEnvelope.v2", "newer version")]
    [InlineData("DeviceEnvelope", "expected the form Name.vN")]
    public void An_unknown_manifest_is_a_clear_error(string manifest, string message)
    {
        var serializer = (DeviceMessageSerializer)Sys.Serialization.FindSerializerFor(StopDeviceEntity.Instance);
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("{}"u8.ToArray(), manifest));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
        Assert.Contains(manifest, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_payload_that_does_not_fit_its_manifest_is_a_clear_error()
    {
        var serializer = (DeviceMessageSerializer)Sys.Serialization.FindSerializerFor(StopDeviceEntity.Instance);
        var error = Assert.Throws<SerializationException>(() => serializer.FromBinary("[1,"u8.ToArray(), "DeviceCommandAck.v1"));
        Assert.Contains("DeviceCommandAck.v1", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Records holding lists and nested messages compare by reference: compare a full description instead.</summary>
    private static string Describe(object value) => value switch
    {
        DeviceEnvelope e => $"{e.DeviceId}:{Describe(e.Message)}",
        DeviceCommandAck a => $"{a.DeviceId}:{a.Ignored}:[{string.Join(",", a.Events.Select(Describe))}]",
        AlertCommand a => System.Text.Json.JsonSerializer.Serialize(a.Message, DispatchJsonContext.Default.AlertMessage),
        OutboxAcknowledged o => string.Join(",", o.DispatchIds),
        IDeviceEvent e => e.GetType().Name + System.Text.Json.JsonSerializer.Serialize(e, e.GetType(), DispatchJsonContext.Default),
        _ => value.ToString() ?? "",
    };
}
