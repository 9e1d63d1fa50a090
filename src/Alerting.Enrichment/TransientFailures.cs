using System.Data.Common;
using System.Net.Sockets;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Alerting.Enrichment;

/// <summary>
/// Tells a failure worth retrying (the database is down, restarting, unreachable, overloaded or busy) from one
/// that a retry will not cure (a missing table, a bad query), which fails the stream instead.
/// </summary>
public static class TransientFailures
{
    private const int SqliteBusy = 5;
    private const int SqliteLocked = 6;

    /// <summary>True when <paramref name="exception"/>, or an exception inside it, is transient.</summary>
    public static bool IsTransient(Exception exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case OperationCanceledException:
                    return false;
                case PostgresException pg when pg.IsTransient
                    || pg.SqlState.StartsWith("08", StringComparison.Ordinal) // connection exception
                    || pg.SqlState.StartsWith("57P", StringComparison.Ordinal) // shutdown, crash, cannot connect now
                    || pg.SqlState.StartsWith("53", StringComparison.Ordinal): // insufficient resources
                    return true;
                case PostgresException:
                    return false;
                case SqliteException sqlite:
                    return sqlite.SqliteErrorCode is SqliteBusy or SqliteLocked;
                case NpgsqlException { IsTransient: true }:
                case SocketException:
                case IOException:
                case TimeoutException:
                    return true;
                case DbException { IsTransient: true }:
                    return true;
            }
        }
        return false;
    }
}
