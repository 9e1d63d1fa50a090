namespace Alerting.Enrichment;

/// <summary>Settings of a device-config store.</summary>
/// <param name="AutoInitialize">Apply the embedded schema before the first operation (the demo and the embedded mode); off where the schema is managed separately.</param>
/// <param name="UpsertChunkSize">Rows written per transaction by <see cref="IDeviceConfigStore.UpsertAsync"/>.</param>
public sealed record DeviceConfigStoreOptions(bool AutoInitialize = false, int UpsertChunkSize = 5000);
