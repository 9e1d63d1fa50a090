using System.Globalization;
using System.Runtime.InteropServices;

namespace Alerting.Kafka.Native;

/// <summary>
/// Widens the accept queue of this process's listening TCP sockets on given ports (Linux). librdkafka's mock brokers
/// listen with a backlog of 5: a node starting its consumer, producers and admin client against three brokers opens
/// more connections than that at once, the kernel drops the SYNs that overflow the queue, and the clients wait for
/// TCP's retransmissions (1, 3, 7, 15 s...). Calling <c>listen</c> again on a listening socket sets its backlog anew.
/// </summary>
internal static partial class ListenBacklog
{
    /// <summary>The accept queue given to the brokers' listeners (the kernel caps it at <c>net.core.somaxconn</c>).</summary>
    public const int Backlog = 1024;

    private const string Listening = "0A"; // TCP_LISTEN in /proc/net/tcp's st column

    /// <summary>
    /// Sets the backlog of the sockets of this process listening on <paramref name="ports"/> to <see cref="Backlog"/>;
    /// returns how many it changed. Elsewhere than on Linux it changes nothing and returns 0.
    /// </summary>
    /// <exception cref="IOException">A listener's backlog could not be set.</exception>
    public static int Widen(IReadOnlyCollection<int> ports)
    {
        ArgumentNullException.ThrowIfNull(ports);
        if (!OperatingSystem.IsLinux() || ports.Count == 0)
        {
            return 0;
        }

        var inodes = ListeningInodes("/proc/self/net/tcp", ports);
        inodes.UnionWith(ListeningInodes("/proc/self/net/tcp6", ports));
        var widened = 0;
        foreach (var fd in Directory.EnumerateFiles("/proc/self/fd"))
        {
            var target = TryLinkTarget(fd);
            if (target is null || !target.StartsWith("socket:[", StringComparison.Ordinal)
                || !inodes.Contains(target["socket:[".Length..^1]))
            {
                continue;
            }

            var number = int.Parse(Path.GetFileName(fd), CultureInfo.InvariantCulture);
            if (listen(number, Backlog) != 0)
            {
                throw new IOException($"listen({number}, {Backlog}) failed with errno {Marshal.GetLastPInvokeError()}.");
            }

            widened++;
        }

        return widened;
    }

    /// <summary>The ports of a <c>host:port,host:port</c> list.</summary>
    public static IReadOnlyCollection<int> Ports(string servers) =>
        [.. servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(s => int.Parse(s[(s.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture))];

    /// <summary>Inodes of the sockets in <paramref name="table"/> listening on one of <paramref name="ports"/>.</summary>
    private static HashSet<string> ListeningInodes(string table, IReadOnlyCollection<int> ports)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        if (!File.Exists(table))
        {
            return inodes;
        }

        // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode ...
        foreach (var line in File.ReadLines(table).Skip(1))
        {
            var columns = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (columns.Length < 10 || columns[3] != Listening)
            {
                continue;
            }

            var port = int.Parse(columns[1][(columns[1].LastIndexOf(':') + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (ports.Contains(port))
            {
                inodes.Add(columns[9]);
            }
        }

        return inodes;
    }

    private static string? TryLinkTarget(string path)
    {
        try
        {
            return new FileInfo(path).LinkTarget;
        }
        catch (IOException)
        {
            return null; // the descriptor was closed while the folder was read
        }
    }

    [LibraryImport("libc", EntryPoint = "listen", SetLastError = true)]
    private static partial int listen(int socket, int backlog);
}
