using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alerting.Enrichment.Tests;

public sealed class TransientFailuresSpec
{
    private static PostgresException Pg(string sqlState) => new("message", "FATAL", "FATAL", sqlState);

    [Theory]
    [InlineData("57P01")] // admin shutdown: pg_ctl stop -m fast
    [InlineData("57P03")] // cannot connect now: starting up or shutting down
    [InlineData("08006")] // connection failure
    [InlineData("53300")] // too many connections
    [InlineData("40001")] // serialization failure
    public void A_postgres_error_of_an_unavailable_server_must_be_transient(string sqlState) =>
        Assert.True(TransientFailures.IsTransient(Pg(sqlState)));

    [Theory]
    [InlineData("42P01")] // undefined table
    [InlineData("42703")] // undefined column
    [InlineData("28000")] // invalid authorization
    public void A_postgres_error_a_retry_cannot_cure_must_not_be_transient(string sqlState) =>
        Assert.False(TransientFailures.IsTransient(Pg(sqlState)));

    [Fact]
    public void A_refused_connection_must_be_transient()
    {
        Assert.True(TransientFailures.IsTransient(new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused))));
        Assert.True(TransientFailures.IsTransient(new IOException("reset")));
        Assert.True(TransientFailures.IsTransient(new InvalidOperationException("wrapped", new TimeoutException())));
    }

    [Fact]
    public void A_busy_sqlite_database_must_be_transient_and_other_sqlite_errors_not()
    {
        Assert.True(TransientFailures.IsTransient(new SqliteException("database is locked", 5)));
        Assert.False(TransientFailures.IsTransient(new SqliteException("SQL logic error", 1)));
    }

    [Fact]
    public void A_cancellation_or_a_programming_error_must_not_be_transient()
    {
        Assert.False(TransientFailures.IsTransient(new OperationCanceledException()));
        Assert.False(TransientFailures.IsTransient(new ArgumentException("bad")));
    }
}
