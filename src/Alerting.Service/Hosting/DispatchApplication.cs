using Alerting.Dispatch.Hosting;
using Alerting.Service.Settings;

namespace Alerting.Service.Hosting;

/// <summary>
/// The dispatch application of one instance: a <see cref="DispatchHost"/> (device entities hosted by
/// alerts-partition ownership) over the configured journal (SQLite embedded, or PostgreSQL).
/// </summary>
public sealed class DispatchApplication : IAsyncDisposable
{
    private readonly EventStoreSource _store;

    private DispatchApplication(DispatchHost host, EventStoreSource store)
    {
        Host = host;
        _store = store;
    }

    public DispatchHost Host { get; }

    /// <summary>Opens the journal and creates (does not start) the host against <paramref name="bootstrapServers"/>.</summary>
    public static DispatchApplication Create(AlertingSettings settings, string bootstrapServers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var store = EventStoreSource.Open(settings, time, "journal");
        var host = new DispatchHost(
            (settings.Dispatch.WithBootstrapServers(bootstrapServers) with
            {
                ConfigureConsumer = settings.Kafka.Configure,
                ConfigureProducer = settings.Kafka.Configure,
            }).Validate(),
            store.Store,
            time);
        return new DispatchApplication(host, store);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        await _store.DisposeAsync();
    }
}
