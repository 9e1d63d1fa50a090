using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Alerting.Enrichment.Tests;

/// <summary>
/// A private PostgreSQL 15 server that one test owns and may stop and start: <c>initdb</c> into a temporary
/// folder, <c>pg_ctl start</c> on a free loopback port (run as the <c>postgres</c> OS user through
/// <c>runuser</c> when the test runs as root, since PostgreSQL refuses to run as root), <c>pg_ctl stop -m fast</c>.
/// Anything that cannot be done fails with a message saying what and why: the test never skips.
/// </summary>
public sealed class ThrowawayPostgresServer : IAsyncDisposable
{
    private const string BinDirectory = "/usr/lib/postgresql/15/bin";
    private readonly string _directory;
    private readonly bool _asPostgresUser;

    private ThrowawayPostgresServer(string directory, int port, bool asPostgresUser)
    {
        _directory = directory;
        Port = port;
        _asPostgresUser = asPostgresUser;
    }

    /// <summary>The loopback port the server listens on (the same after a restart).</summary>
    public int Port { get; }

    /// <summary>Connection string of the server's <c>postgres</c> database.</summary>
    public string ConnectionString => string.Create(CultureInfo.InvariantCulture,
        $"Host=127.0.0.1;Port={Port};Username=alerting;Database=postgres;Timeout=5;Command Timeout=10");

    private string DataDirectory => Path.Combine(_directory, "data");

    /// <summary>Creates the cluster and starts the server.</summary>
    public static async Task<ThrowawayPostgresServer> StartAsync(CancellationToken cancellationToken)
    {
        if (!File.Exists(Path.Combine(BinDirectory, "initdb")))
        {
            throw new InvalidOperationException(
                $"Cannot run a private PostgreSQL server for this test: {BinDirectory}/initdb does not exist (install postgresql-15).");
        }
        var asPostgresUser = Environment.UserName == "root";
        var directory = Directory.CreateTempSubdirectory("alerting-enrich-pg-").FullName;
        var server = new ThrowawayPostgresServer(directory, FreePort(), asPostgresUser);
        try
        {
            if (asPostgresUser)
            {
                await RunAsync("chown", ["postgres", directory], "give the server folder to the postgres OS user " +
                    "(running as root, PostgreSQL must run as the non-root user 'postgres'; create it with useradd --system postgres)", cancellationToken);
            }
            await server.PgAsync("initdb", ["-D", server.DataDirectory, "-U", "alerting", "--auth=trust", "--no-sync"], "initdb", cancellationToken);
            await server.StartAgainAsync(cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Starts the (stopped) server on the same port and waits until it accepts connections.</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken) =>
        PgAsync("pg_ctl", [
            "-D", DataDirectory, "-l", Path.Combine(_directory, "log"), "-w", "-t", "60",
            "-o", string.Create(CultureInfo.InvariantCulture, $"-c listen_addresses=127.0.0.1 -p {Port} -k {_directory} -c fsync=off"),
            "start",
        ], "pg_ctl start", cancellationToken);

    /// <summary>Stops the server with <c>-m fast</c>: open sessions are terminated at once.</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        PgAsync("pg_ctl", ["-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop"], "pg_ctl stop", cancellationToken);

    /// <summary>Stops the server if it runs and deletes its folder.</summary>
    public async ValueTask DisposeAsync()
    {
        try
        {
            if (File.Exists(Path.Combine(DataDirectory, "postmaster.pid")))
            {
                await StopAsync(CancellationToken.None);
            }
        }
        finally
        {
            Directory.Delete(_directory, recursive: true);
        }
    }

    private Task PgAsync(string tool, IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken)
    {
        var exe = Path.Combine(BinDirectory, tool);
        return _asPostgresUser
            ? RunAsync("runuser", ["-u", "postgres", "--", exe, .. arguments], what, cancellationToken, LogTail)
            : RunAsync(exe, arguments, what, cancellationToken, LogTail);
    }

    private string LogTail()
    {
        var log = Path.Combine(_directory, "log");
        try
        {
            return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(20)) : "(no server log)";
        }
        catch (IOException ex)
        {
            return "(server log unreadable: " + ex.Message + ")";
        }
        catch (UnauthorizedAccessException ex)
        {
            return "(server log unreadable: " + ex.Message + ")";
        }
    }

    private static async Task RunAsync(
        string fileName, IReadOnlyList<string> arguments, string what, CancellationToken cancellationToken, Func<string>? diagnostics = null)
    {
        var start = new ProcessStartInfo(fileName) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new InvalidOperationException($"Could not start {fileName}.");
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            throw new InvalidOperationException($"Cannot {what} for the private PostgreSQL server: starting {fileName} failed ({ex.Message}).", ex);
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
            var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
            await process.WaitForExitAsync(cancellationToken);
            if (process.ExitCode != 0)
            {
                throw new InvalidOperationException(
                    $"Cannot {what} for the private PostgreSQL server: {fileName} {string.Join(' ', arguments)} exited with {process.ExitCode}.\n" +
                    $"{await stdout}\n{await stderr}\n{diagnostics?.Invoke()}");
            }
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
