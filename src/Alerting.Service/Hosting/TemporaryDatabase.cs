using Microsoft.Data.Sqlite;

namespace Alerting.Service.Hosting;

/// <summary>An SQLite database file made for one run in the temp folder (the demo's default), and its removal.</summary>
public static class TemporaryDatabase
{
    /// <summary>A new file name in the temp folder for <paramref name="purpose"/>.</summary>
    public static string NewPath(string purpose) => Path.Combine(Path.GetTempPath(), $"alerting-{purpose}-{Guid.NewGuid():N}.db");

    /// <summary>Closes pooled connections and deletes the file with its WAL and shared-memory files.</summary>
    public static void Delete(string path)
    {
        SqliteConnection.ClearAllPools();
        foreach (var file in new[] { path, path + "-wal", path + "-shm" })
        {
            File.Delete(file);
        }
    }
}
