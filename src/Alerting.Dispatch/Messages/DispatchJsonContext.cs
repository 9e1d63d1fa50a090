using System.Text.Json.Serialization;
using Alerting.Dispatch.Entity;

namespace Alerting.Dispatch.Messages;

/// <summary>
/// Source-generated System.Text.Json metadata for the dispatcher's topic messages (alerts, work orders, dispatches)
/// for the device entity's persisted events and snapshot, and for the messages to and from the entities between nodes.
/// No reflection at run time.
/// </summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AlertMessage))]
[JsonSerializable(typeof(WorkOrderMessage))]
[JsonSerializable(typeof(DispatchMessage))]
[JsonSerializable(typeof(AlertHeld))]
[JsonSerializable(typeof(AlertDispatched))]
[JsonSerializable(typeof(AlertDropped))]
[JsonSerializable(typeof(AlertCancelled))]
[JsonSerializable(typeof(AlertRevoked))]
[JsonSerializable(typeof(WorkOrderOpened))]
[JsonSerializable(typeof(WorkOrderClosed))]
[JsonSerializable(typeof(OutboxDelivered))]
[JsonSerializable(typeof(DeviceSnapshot))]
[JsonSerializable(typeof(AlertCommand))]
[JsonSerializable(typeof(WorkOrderCommand))]
[JsonSerializable(typeof(OutboxAcknowledged))]
[JsonSerializable(typeof(Actors.DeviceCommandFailed))]
[JsonSerializable(typeof(Serialization.DeviceEnvelopeData))]
[JsonSerializable(typeof(Serialization.DeviceCommandAckData))]
public sealed partial class DispatchJsonContext : JsonSerializerContext;
