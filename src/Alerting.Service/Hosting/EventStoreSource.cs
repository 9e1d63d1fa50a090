using Alerting.Persistence;
using Alerting.Persistence.Postgres;
using Alerting.Persistence.Sqlite;
using Alerting.Service.Settings;
using Npgsql;

namespace Alerting.Service.Hosting;

/// <summary>
/// The journal and snapshot store of one application, opened from <c>alerting.persistence</c>: PostgreSQL, or an
/// SQLite file (a new file in the temp folder, deleted on dispose, when <c>sqlite-path</c> is empty).
/// </summary>
public sealed class EventStoreSource : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _temporaryFile;

    private EventStoreSource(IEventStore store, NpgsqlDataSource? dataSource, string? temporaryFile)
    {
        Store = store;
        _dataSource = dataSource;
        _temporaryFile = temporaryFile;
    }

    /// <summary>The opened store.</summary>
    public IEventStore Store { get; }

    /// <summary>Opens the store named by <paramref name="settings"/>; <paramref name="purpose"/> names a temporary SQLite file.</summary>
    public static EventStoreSource Open(AlertingSettings settings, TimeProvider time, string purpose)
    {
        ArgumentNullException.ThrowIfNull(settings);
        if (settings.Persistence.Provider == "postgres")
        {
            var dataSource = NpgsqlDataSource.Create(settings.Persistence.ConnectionString);
            return new EventStoreSource(new PostgresEventStore(dataSource, timeProvider: time), dataSource, null);
        }

        var path = settings.Persistence.SqlitePath;
        string? temporary = null;
        if (string.IsNullOrEmpty(path))
        {
            temporary = path = TemporaryDatabase.NewPath(purpose);
        }

        return new EventStoreSource(new SqliteEventStore(new SqliteEventStoreOptions { ConnectionString = $"Data Source={path}" }, time), null, temporary);
    }

    /// <summary>Closes the data source, and deletes the temporary SQLite file if one was created.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_dataSource is not null)
        {
            await _dataSource.DisposeAsync();
        }

        if (_temporaryFile is not null)
        {
            TemporaryDatabase.Delete(_temporaryFile);
        }
    }
}
