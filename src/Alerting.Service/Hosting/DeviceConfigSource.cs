using Alerting.Enrichment;
using Alerting.Enrichment.Postgres;
using Alerting.Enrichment.Sqlite;
using Alerting.Service.Settings;
using Microsoft.Extensions.Logging;
using Npgsql;

namespace Alerting.Service.Hosting;

/// <summary>
/// The device-config store of one instance and the <see cref="DeviceConfigLookup"/> over it, opened from the
/// same persistence settings as the dispatcher's journal (<c>alerting.persistence</c>): PostgreSQL, or an SQLite
/// file (a new file in the temp folder, deleted on dispose, when <c>sqlite-path</c> is empty). The schema is
/// applied on first use (idempotent).
/// </summary>
public sealed class DeviceConfigSource : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _dataSource;
    private readonly string? _temporaryFile;

    private DeviceConfigSource(IDeviceConfigStore store, DeviceConfigLookup lookup, NpgsqlDataSource? dataSource, string? temporaryFile)
    {
        Store = store;
        Lookup = lookup;
        _dataSource = dataSource;
        _temporaryFile = temporaryFile;
    }

    /// <summary>The store (the demo seeds it with <see cref="IDeviceConfigStore.UpsertAsync"/>).</summary>
    public IDeviceConfigStore Store { get; }

    /// <summary>The lookup join over <see cref="Store"/>, with the <c>alerting.enrichment</c> settings.</summary>
    public DeviceConfigLookup Lookup { get; }

    /// <summary>Opens the store named by <paramref name="settings"/>'s persistence section.</summary>
    public static DeviceConfigSource Open(AlertingSettings settings, TimeProvider time, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        var options = new DeviceConfigStoreOptions(AutoInitialize: true);
        NpgsqlDataSource? dataSource = null;
        string? temporary = null;
        IDeviceConfigStore store;
        if (settings.Persistence.Provider == "postgres")
        {
            dataSource = NpgsqlDataSource.Create(settings.Persistence.ConnectionString);
            store = new PostgresDeviceConfigStore(dataSource, options);
        }
        else
        {
            var path = settings.Persistence.SqlitePath;
            if (string.IsNullOrEmpty(path))
            {
                temporary = path = TemporaryDatabase.NewPath("devices");
            }

            store = new SqliteDeviceConfigStore($"Data Source={path}", options);
        }

        var lookup = new DeviceConfigLookup(store, settings.Enrichment, time, loggerFactory.CreateLogger<DeviceConfigLookup>());
        return new DeviceConfigSource(store, lookup, dataSource, temporary);
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
