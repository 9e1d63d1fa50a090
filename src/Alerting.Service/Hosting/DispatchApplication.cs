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
        var topics = settings.Kafka.Topics;
        var host = new DispatchHost(
            new DispatchSettings
            {
                BootstrapServers = bootstrapServers,
                GroupId = settings.Dispatch.GroupId,
                AlertsTopic = topics.Alerts,
                WorkOrdersTopic = topics.WorkOrders,
                DispatchTopic = topics.Dispatch,
                DeadLetterTopic = topics.DeadLetter,
                DefaultDelay = settings.Dispatch.DefaultDelay,
                SnapshotEvery = settings.Dispatch.SnapshotEvery,
                PassivateAfter = settings.Dispatch.PassivateAfter,
                MaxBatchSize = settings.Dispatch.BatchSize,
                SessionTimeout = settings.Kafka.SessionTimeout,
                HeartbeatInterval = settings.Kafka.HeartbeatInterval,
                ConfigureConsumer = settings.Kafka.Configure,
                ConfigureProducer = settings.Kafka.Configure,
            }.Validate(),
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
