using Akka.Alerting.Dispatch.Hosting;
using Akka.Alerting.Persistence;
using Akka.Alerting.Persistence.Postgres;
using Akka.Alerting.Persistence.Sqlite;
using Akka.Alerting.Service.Settings;
using Npgsql;

namespace Akka.Alerting.Service.Hosting;

/// <summary>
/// The dispatch application of one instance: a <see cref="DispatchHost"/> (device entities hosted by
/// alerts-partition ownership) over the configured journal (SQLite embedded, or PostgreSQL).
/// </summary>
public sealed class DispatchApplication : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _temporaryFile;

    private DispatchApplication(DispatchHost host, NpgsqlDataSource? dataSource, string? temporaryFile)
    {
        Host = host;
        _dataSource = dataSource;
        _temporaryFile = temporaryFile;
    }

    public DispatchHost Host { get; }

    /// <summary>Opens the journal and creates (does not start) the host against <paramref name="bootstrapServers"/>.</summary>
    public static DispatchApplication Create(AlertingSettings settings, string bootstrapServers, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        NpgsqlDataSource? dataSource = null;
        string? temporary = null;
        IEventStore store;
        if (settings.Persistence.Provider == "postgres")
        {
            dataSource = NpgsqlDataSource.Create(settings.Persistence.ConnectionString);
            store = new PostgresEventStore(dataSource, timeProvider: time);
        }
        else
        {
            var path = settings.Persistence.SqlitePath;
            if (string.IsNullOrEmpty(path))
            {
                temporary = path = Path.Combine(Path.GetTempPath(), $"alerting-journal-{Guid.NewGuid():N}.db");
            }

            store = new SqliteEventStore(new SqliteEventStoreOptions { ConnectionString = $"Data Source={path}" }, time);
        }

        var topics = settings.Kafka.Topics;
        var host = new DispatchHost(
            new DispatchSettings
            {
                BootstrapServers = bootstrapServers,
                GroupId = settings.Dispatch.GroupId,
                AlertsTopic = topics.Alerts,
                WorkOrdersTopic = topics.WorkOrders,
                DispatchTopic = topics.Dispatch,
                DefaultDelay = settings.Dispatch.DefaultDelay,
                SnapshotEvery = settings.Dispatch.SnapshotEvery,
                PassivateAfter = settings.Dispatch.PassivateAfter,
                MaxBatchSize = settings.Dispatch.BatchSize,
                SessionTimeout = settings.Kafka.SessionTimeout,
                HeartbeatInterval = settings.Kafka.HeartbeatInterval,
            }.Validate(),
            store,
            time);
        return new DispatchApplication(host, dataSource, temporary);
    }

    public async ValueTask DisposeAsync()
    {
        await Host.DisposeAsync();
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_temporaryFile is not null)
        {
            foreach (var file in new[] { _temporaryFile, _temporaryFile + "-wal", _temporaryFile + "-shm" })
            {
                File.Delete(file);
            }
        }
    }
}
