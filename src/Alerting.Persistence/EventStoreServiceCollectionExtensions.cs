using Alerting.Persistence;
using Alerting.Persistence.Postgres;
using Alerting.Persistence.Sqlite;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers an <see cref="IEventStore"/> (journal, snapshots, consumer offsets) with the service collection.</summary>
public static class EventStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="PostgresEventStore"/> as the singleton <see cref="IEventStore"/>, over the application's
    /// <see cref="NpgsqlDataSource"/>: the one already registered, or one created here from
    /// <paramref name="connectionString"/> and disposed with the container.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="connectionString">Used only when no <see cref="NpgsqlDataSource"/> is registered yet.</param>
    /// <param name="options">Store settings; defaults when null. Checked here, at start-up.</param>
    public static IServiceCollection AddPostgresEventStore(this IServiceCollection services, string connectionString, PostgresEventStoreOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrEmpty(connectionString);
        options ??= new PostgresEventStoreOptions();
        ArgumentOutOfRangeException.ThrowIfLessThan(options.CopyThreshold, 1, nameof(options));
        services.TryAddSingleton(_ => NpgsqlDataSource.Create(connectionString));
        services.TryAddSingleton(sp => new PostgresEventStore(sp.GetRequiredService<NpgsqlDataSource>(), options, sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<PostgresEventStore>());
        return services;
    }

    /// <summary>Registers <see cref="SqliteEventStore"/> (WAL mode, the embedded default) as the singleton <see cref="IEventStore"/>.</summary>
    /// <param name="services">The service collection.</param>
    /// <param name="options">Connection string and settings. Checked here, at start-up.</param>
    public static IServiceCollection AddSqliteEventStore(this IServiceCollection services, SqliteEventStoreOptions options)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrEmpty(options.ConnectionString, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.BusyTimeout, TimeSpan.Zero, nameof(options));
        services.TryAddSingleton(sp => new SqliteEventStore(options, sp.GetService<TimeProvider>()));
        services.TryAddSingleton<IEventStore>(sp => sp.GetRequiredService<SqliteEventStore>());
        return services;
    }
}
