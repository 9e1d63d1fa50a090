using System.Text.Json;
using Alerting.Dispatch.Entity;

namespace Alerting.Dispatch.Actors;

/// <summary>
/// Asks a device entity (through the shard region, in a <see cref="Sharding.DeviceEnvelope"/>) for its state; it
/// answers <see cref="DeviceStateReply"/> and changes nothing. An entity that was passivated is loaded to answer.
/// </summary>
public sealed record GetDeviceState
{
    public static readonly GetDeviceState Instance = new();
}

/// <summary>
/// A device entity's state: its <see cref="DeviceSnapshot"/> (alerts held for their delay with when they are due,
/// open alerts with their dispatch id and work-order status, dispatches not yet acknowledged by Kafka, the ids of the
/// last finished alerts) as JSON, so the answer crosses nodes as a plain string.
/// </summary>
/// <param name="DeviceId">The device.</param>
/// <param name="Json">The snapshot, serialized with <see cref="JsonSerializerDefaults.Web"/>.</param>
public sealed record DeviceStateReply(string DeviceId, string Json)
{
    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    /// <summary>The reply for <paramref name="state"/>.</summary>
    public static DeviceStateReply Of(DeviceEntityState state)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new DeviceStateReply(state.DeviceId, JsonSerializer.Serialize(state.ToSnapshot(), Options));
    }
}
