using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Alerting.Reliability;

/// <summary>
/// A PostgreSQL 15 server of one scenario's own (initdb into a temp folder, a free loopback port, trust auth, the
/// same settings as the test command's server), so stopping it never touches the shared test server. As root it
/// runs as the <c>postgres</c> user (the server refuses root).
/// </summary>
public sealed class PrivatePostgres : IAsyncDisposable
{
    private const string Bin = "/usr/lib/postgresql/15/bin";
    private readonly string _dir;
    private readonly bool _asPostgres;

    private PrivatePostgres(string dir, int port, bool asPostgres)
    {
        _dir = dir;
        Port = port;
        _asPostgres = asPostgres;
    }

    public int Port { get; }

    /// <summary>initdb and start.</summary>
    public static async Task<PrivatePostgres> StartAsync(CancellationToken cancellationToken)
    {
        var dir = Directory.CreateTempSubdirectory("alerting-rel-pg").FullName;
        var asPostgres = Environment.UserName == "root";
        var pg = new PrivatePostgres(dir, FreePort(), asPostgres);
        await pg.RunAsync("chmod", ["755", dir], asUser: false, cancellationToken);
        if (asPostgres)
        {
            await pg.RunAsync("chown", ["postgres", dir], asUser: false, cancellationToken);
        }

        await pg.RunAsync(Path.Combine(Bin, "initdb"), ["-D", Path.Combine(dir, "data"), "-U", "alerting", "--auth=trust", "-E", "UTF8", "--no-locale"], asUser: true, cancellationToken);
        await pg.StartAgainAsync(cancellationToken);
        return pg;
    }

    /// <summary>The connection string of its <c>postgres</c> database at <paramref name="port"/> (the server's own, or a proxy's).</summary>
    public static string ConnectionString(int port) =>
        $"Host=127.0.0.1;Port={port};Username=alerting;Database=postgres;Pooling=true;Maximum Pool Size=50;Timeout=60";

    /// <summary>Starts the server (again), waiting until it accepts connections.</summary>
    public Task StartAgainAsync(CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-l", Path.Combine(_dir, "log"), "-w", "-t", "60", "-o",
            $"-c listen_addresses=127.0.0.1 -p {Port} -k {_dir} -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=300", "start"],
            asUser: true, cancellationToken);

    /// <summary>Stops the server at once (<c>-m immediate</c>: open connections are cut, as when the database host goes away).</summary>
    public Task StopAsync(CancellationToken cancellationToken) =>
        RunAsync(Path.Combine(Bin, "pg_ctl"), ["-D", Path.Combine(_dir, "data"), "-m", "immediate", "-w", "stop"], asUser: true, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None);
        }
        catch (InvalidOperationException)
        {
            // Already stopped.
        }

        Directory.Delete(_dir, recursive: true);
    }

    private async Task RunAsync(string file, IReadOnlyList<string> args, bool asUser, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(asUser && _asPostgres ? "runuser" : file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (asUser && _asPostgres)
        {
            foreach (var a in new[] { "-u", "postgres", "--", file })
            {
                info.ArgumentList.Add(a);
            }
        }

        foreach (var a in args)
        {
            info.ArgumentList.Add(a);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', args.Take(3))} exited {process.ExitCode}: {await stderr}{await stdout}");
        }
    }

    private static int FreePort()
    {
        using var socket = new TcpListener(IPAddress.Loopback, 0);
        socket.Start();
        return ((IPEndPoint)socket.LocalEndpoint).Port;
    }
}

/// <summary>
/// A TCP proxy on loopback in front of a server, adding <see cref="Latency"/> before it forwards each chunk in either
/// direction (a slow network to the database). A connection whose server side cannot be reached is closed.
/// </summary>
public sealed class LatencyProxy : IAsyncDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly int _target;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private long _latencyTicks;

    public LatencyProxy(int targetPort)
    {
        _target = targetPort;
        _listener.Start();
        Port = ((IPEndPoint)_listener.LocalEndpoint).Port;
        _accepting = AcceptAsync();
    }

    public int Port { get; }

    /// <summary>Added before each forwarded chunk, both ways.</summary>
    public TimeSpan Latency
    {
        get => TimeSpan.FromTicks(Interlocked.Read(ref _latencyTicks));
        set => Interlocked.Exchange(ref _latencyTicks, value.Ticks);
    }

    /// <summary>Connections accepted.</summary>
    public int Connections => Volatile.Read(ref _connections);

    /// <summary>Connections closed because the server could not be reached.</summary>
    public int Refused => Volatile.Read(ref _refused);

    private int _connections;
    private int _refused;

    private async Task AcceptAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException or SocketException)
            {
                return;
            }

            Interlocked.Increment(ref _connections);
            _ = Task.Run(() => ServeAsync(client));
        }
    }

    private async Task ServeAsync(TcpClient client)
    {
        using (client)
        using (var server = new TcpClient())
        {
            try
            {
                await server.ConnectAsync(IPAddress.Loopback, _target, _stop.Token);
            }
            catch (Exception ex) when (ex is SocketException or OperationCanceledException)
            {
                Interlocked.Increment(ref _refused);
                return;
            }

            client.NoDelay = true;
            server.NoDelay = true;
            using var pair = CancellationTokenSource.CreateLinkedTokenSource(_stop.Token);
            var up = PumpAsync(client.GetStream(), server.GetStream(), pair.Token);
            var down = PumpAsync(server.GetStream(), client.GetStream(), pair.Token);
            await Task.WhenAny(up, down);
            await pair.CancelAsync();
        }
    }

    private async Task PumpAsync(NetworkStream from, NetworkStream to, CancellationToken ct)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                var n = await from.ReadAsync(buffer, ct);
                if (n == 0)
                {
                    return;
                }

                var latency = Latency;
                if (latency > TimeSpan.Zero)
                {
                    await Task.Delay(latency, ct);
                }

                await to.WriteAsync(buffer.AsMemory(0, n), ct);
            }
        }
        catch (Exception ex) when (ex is IOException or OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // One side closed or reset the connection (the server stopped): the pair is closed.
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }
}
