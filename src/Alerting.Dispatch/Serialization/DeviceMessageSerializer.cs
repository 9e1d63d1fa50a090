using System.Runtime.Serialization;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Akka.Actor;
using Akka.Serialization;
using Alerting.Dispatch.Actors;
using Alerting.Dispatch.Entity;
using Alerting.Dispatch.Messages;
using Alerting.Dispatch.Sharding;

namespace Alerting.Dispatch.Serialization;

/// <summary>
/// Akka serializer of the messages that travel between cluster nodes to and from the device entities: the region's
/// <see cref="DeviceEnvelope"/>, the entity's <see cref="DeviceCommandAck"/>, and the commands an envelope carries
/// (<see cref="AlertCommand"/>, <see cref="WorkOrderCommand"/>, <see cref="OutboxAcknowledged"/>,
/// <see cref="StopDeviceEntity"/>). UTF-8 JSON written with the source-generated <see cref="DispatchJsonContext"/>
/// under versioned manifests <c>Name.vN</c> (<c>DeviceEnvelope.v1</c>, …); bound by this assembly's
/// <c>reference.conf</c> instead of Akka's default JSON.
/// <para>An envelope's message and an acknowledgement's events are nested as (serializer id, manifest, bytes) through
/// Akka's serialization, so any message an entity takes (one bound to another serializer too) crosses the wire, and
/// events keep <see cref="DeviceEventSerializer"/>'s manifests and upcasting. A manifest that names no known type or a
/// newer version than this code writes, or JSON that does not fit, throws a <see cref="SerializationException"/> naming
/// the manifest.</para>
/// </summary>
public sealed class DeviceMessageSerializer : SerializerWithStringManifest
{
    /// <summary>The serializer id; never change it once nodes talk to each other with it.</summary>
    public const int SerializerId = 4_711;

    private const string Envelope = "DeviceEnvelope";
    private const string Ack = "DeviceCommandAck";
    private const string Alert = "AlertCommand";
    private const string WorkOrder = "WorkOrderCommand";
    private const string Acknowledged = "OutboxAcknowledged";
    private const string Stop = "StopDeviceEntity";
    private const string Failed = "DeviceCommandFailed";
    private const int Version = 1;

    /// <summary>Created by Akka's serialization from the <c>serializers</c> section.</summary>
    public DeviceMessageSerializer(ExtendedActorSystem system)
        : base(system)
    {
    }

    /// <inheritdoc />
    public override int Identifier => SerializerId;

    /// <summary>The manifests this serializer writes.</summary>
    public static IReadOnlyCollection<string> CurrentManifests { get; } =
        [.. new[] { Envelope, Ack, Alert, WorkOrder, Acknowledged, Stop, Failed }.Select(n => n + ".v1")];

    /// <inheritdoc />
    public override string Manifest(object o) => NameOf(o) + ".v1";

    /// <inheritdoc />
    public override byte[] ToBinary(object obj)
    {
        ArgumentNullException.ThrowIfNull(obj);
        var c = DispatchJsonContext.Default;
        return obj switch
        {
            DeviceEnvelope e => Json(new DeviceEnvelopeData(e.DeviceId, Nest(e.Message)), c.DeviceEnvelopeData),
            DeviceCommandAck a => Json(new DeviceCommandAckData(a.DeviceId, [.. a.Events.Select(ev => Nest(ev))], a.Ignored), c.DeviceCommandAckData),
            AlertCommand a => Json(a, c.AlertCommand),
            WorkOrderCommand w => Json(w, c.WorkOrderCommand),
            OutboxAcknowledged o => Json(o, c.OutboxAcknowledged),
            StopDeviceEntity => "{}"u8.ToArray(),
            DeviceCommandFailed f => Json(f, c.DeviceCommandFailed),
            _ => throw new SerializationException($"{obj.GetType().FullName} is not a device entity message."),
        };
    }

    /// <inheritdoc />
    public override object FromBinary(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(manifest);
        var dot = manifest.LastIndexOf(".v", StringComparison.Ordinal);
        if (dot <= 0 || !int.TryParse(manifest.AsSpan(dot + 2), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var version))
        {
            throw new SerializationException($"Unknown device message manifest '{manifest}': expected the form Name.vN.");
        }
        var name = manifest[..dot];
        if (name is not (Envelope or Ack or Alert or WorkOrder or Acknowledged or Stop or Failed))
        {
            throw new SerializationException($"Unknown device message manifest '{manifest}': no type is registered under '{name}'.");
        }
        if (version > Version)
        {
            throw new SerializationException($"Device message manifest '{manifest}' was written by a newer version ({version}) than this one reads ({Version}).");
        }
        var c = DispatchJsonContext.Default;
        try
        {
            return name switch
            {
                Envelope => ToEnvelope(Read(bytes, c.DeviceEnvelopeData, manifest)),
                Ack => ToAck(Read(bytes, c.DeviceCommandAckData, manifest)),
                Alert => Read(bytes, c.AlertCommand, manifest),
                WorkOrder => Read(bytes, c.WorkOrderCommand, manifest),
                Acknowledged => Read(bytes, c.OutboxAcknowledged, manifest),
                Failed => Read(bytes, c.DeviceCommandFailed, manifest),
                _ => StopDeviceEntity.Instance,
            };
        }
        catch (JsonException ex)
        {
            throw new SerializationException($"Device message payload '{manifest}' cannot be read: {ex.Message}", ex);
        }
        catch (InvalidCastException ex)
        {
            throw new SerializationException($"Device message payload '{manifest}' carries an event that is not a device event: {ex.Message}", ex);
        }
    }

    private static string NameOf(object o) => o switch
    {
        DeviceEnvelope => Envelope,
        DeviceCommandAck => Ack,
        AlertCommand => Alert,
        WorkOrderCommand => WorkOrder,
        OutboxAcknowledged => Acknowledged,
        StopDeviceEntity => Stop,
        DeviceCommandFailed => Failed,
        null => throw new ArgumentNullException(nameof(o)),
        _ => throw new SerializationException($"{o.GetType().FullName} is not a device entity message."),
    };

    private static byte[] Json<T>(T value, JsonTypeInfo<T> info) => JsonSerializer.SerializeToUtf8Bytes(value, info);

    private static T Read<T>(byte[] bytes, JsonTypeInfo<T> info, string manifest) =>
        JsonSerializer.Deserialize(bytes, info) ?? throw new SerializationException($"Device message payload '{manifest}' is JSON null.");

    private NestedMessage Nest(object message)
    {
        ArgumentNullException.ThrowIfNull(message);
        var serializer = system.Serialization.FindSerializerFor(message);
        return new NestedMessage(serializer.Identifier, Akka.Serialization.Serialization.ManifestFor(serializer, message), serializer.ToBinary(message));
    }

    private DeviceEnvelope ToEnvelope(DeviceEnvelopeData data) => new(data.DeviceId, Unnest(data.Message));

    private DeviceCommandAck ToAck(DeviceCommandAckData data) => new(data.DeviceId, [.. data.Events.Select(e => (IDeviceEvent)Unnest(e))], data.Ignored);

    private object Unnest(NestedMessage nested) => system.Serialization.Deserialize(nested.Payload, nested.SerializerId, nested.Manifest);
}

/// <summary>A message serialized by the serializer Akka binds to its type, inside another message.</summary>
/// <param name="SerializerId">The serializer's id.</param>
/// <param name="Manifest">Its manifest (empty when the serializer writes none).</param>
/// <param name="Payload">Its bytes.</param>
public sealed record NestedMessage(int SerializerId, string Manifest, byte[] Payload);

/// <summary>What <see cref="DeviceMessageSerializer"/> writes for a <see cref="DeviceEnvelope"/>.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Message">The entity's message.</param>
public sealed record DeviceEnvelopeData(string DeviceId, NestedMessage Message);

/// <summary>What <see cref="DeviceMessageSerializer"/> writes for a <see cref="DeviceCommandAck"/>.</summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Events">The persisted events.</param>
/// <param name="Ignored">Why nothing changed, when nothing did.</param>
public sealed record DeviceCommandAckData(string DeviceId, IReadOnlyList<NestedMessage> Events, DropReason? Ignored);
