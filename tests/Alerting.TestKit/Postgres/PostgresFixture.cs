using System.Globalization;
using Npgsql;
using Xunit;

namespace Alerting.TestKit;

/// <summary>
/// A fresh PostgreSQL database for one test class (use as <c>IClassFixture&lt;PostgresFixture&gt;</c>): created
/// with a unique name on the server named by the <c>ALERTING_TEST_POSTGRES</c> environment variable (default
/// <see cref="DefaultConnectionString"/>) and dropped on dispose. If no server answers, initialization fails with a
/// message saying how to provide one: PostgreSQL tests never skip.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime
{
    /// <summary>The environment variable holding the server's connection string.</summary>
    public const string EnvironmentVariable = "ALERTING_TEST_POSTGRES";

    /// <summary>Used when <see cref="EnvironmentVariable"/> is not set.</summary>
    public const string DefaultConnectionString = "Host=127.0.0.1;Port=5432;Username=alerting;Database=postgres";

    private NpgsqlDataSource? _dataSource;

    /// <summary>Connection string of the server's maintenance database, as configured.</summary>
    public string ServerConnectionString { get; } =
        Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } configured ? configured : DefaultConnectionString;

    /// <summary>Name of this fixture's own database.</summary>
    public string DatabaseName { get; } = string.Create(CultureInfo.InvariantCulture, $"alerting_test_{Guid.NewGuid():N}");

    /// <summary>Connection string of this fixture's own database.</summary>
    public string ConnectionString =>
        new NpgsqlConnectionStringBuilder(ServerConnectionString) { Database = DatabaseName }.ConnectionString;

    /// <summary>The data source of this fixture's own database (one per fixture, disposed with it).</summary>
    public NpgsqlDataSource DataSource => _dataSource ?? throw new InvalidOperationException("The fixture is not initialized.");

    /// <summary>Creates the database; fails with a clear message when the server is unreachable.</summary>
    public async Task InitializeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await using var admin = new NpgsqlConnection(ServerConnectionString);
            await admin.OpenAsync(timeout.Token);
            await using var cmd = new NpgsqlCommand($"CREATE DATABASE \"{DatabaseName}\"", admin);
            await cmd.ExecuteNonQueryAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is NpgsqlException or OperationCanceledException or System.Net.Sockets.SocketException)
        {
            throw new InvalidOperationException(
                $"No PostgreSQL server reachable at '{Redacted(ServerConnectionString)}' ({ex.Message}). Start one and set " +
                $"{EnvironmentVariable} to its connection string, or run ./build.sh test, which starts a private server.", ex);
        }
        _dataSource = NpgsqlDataSource.Create(ConnectionString);
    }

    /// <summary>Disposes the data source and drops the database.</summary>
    public async Task DisposeAsync()
    {
        if (_dataSource is null)
        {
            return;
        }
        await _dataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(ServerConnectionString);
        await admin.OpenAsync();
        await using var cmd = new NpgsqlCommand($"DROP DATABASE IF EXISTS \"{DatabaseName}\" WITH (FORCE)", admin);
        await cmd.ExecuteNonQueryAsync();
    }

    private static string Redacted(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        if (!string.IsNullOrEmpty(builder.Password))
        {
            builder.Password = "***";
        }
        return builder.ConnectionString;
    }
}
