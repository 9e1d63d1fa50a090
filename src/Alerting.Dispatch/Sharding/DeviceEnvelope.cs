namespace Alerting.Dispatch.Sharding;

/// <summary>A message for the entity of <paramref name="DeviceId"/>, sent to the device shard region.</summary>
/// <param name="DeviceId">The device: the entity id, and through its alerts partition the shard id.</param>
/// <param name="Message">What the entity receives.</param>
public sealed record DeviceEnvelope(string DeviceId, object Message);
