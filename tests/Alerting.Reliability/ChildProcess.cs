using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Alerting.Reliability;

/// <summary>
/// One child process of the service (<c>dotnet Alerting.Service.dll …</c>): its stdout and stderr go line by line to
/// files under the scenario's log folder (every byte it writes is kept, for the secret scan), and it can be stopped
/// with SIGTERM or killed with SIGKILL.
/// </summary>
public sealed partial class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _stdout;
    private readonly StreamWriter _stderr;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];

    private ChildProcess(Process process, StreamWriter stdout, StreamWriter stderr, string name)
    {
        _process = process;
        _stdout = stdout;
        _stderr = stderr;
        Name = name;
    }

    public string Name { get; }

    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    /// <summary>Starts the service with <paramref name="args"/> and <paramref name="environment"/>, logging to <c>{logDir}/{name}.{n}.out|err</c>.</summary>
    /// <param name="name">The name of the child in its log files.</param>
    /// <param name="logDir">The scenario's log folder.</param>
    /// <param name="args">The service's arguments.</param>
    /// <param name="environment">Variables added to the child's environment.</param>
    /// <param name="input">Whether <see cref="SendAsync"/> may write to the child's standard input (the dev broker's control channel).</param>
    public static ChildProcess Start(string name, string logDir, IEnumerable<string> args, IReadOnlyDictionary<string, string> environment, bool input = false)
    {
        var service = Path.Combine(AppContext.BaseDirectory, "Alerting.Service.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input,
            UseShellExecute = false,
            WorkingDirectory = logDir,
        };
        info.ArgumentList.Add(service);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var n = 0;
        while (File.Exists(Path.Combine(logDir, $"{name}.{n}.err")))
        {
            n++;
        }

        var stdout = new StreamWriter(Path.Combine(logDir, $"{name}.{n}.out")) { AutoFlush = true };
        var stderr = new StreamWriter(Path.Combine(logDir, $"{name}.{n}.err")) { AutoFlush = true };
        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start " + name);
        var child = new ChildProcess(process, stdout, stderr, name);
        process.OutputDataReceived += (_, e) => child.Write(stdout, e.Data, keep: true);
        process.ErrorDataReceived += (_, e) => child.Write(stderr, e.Data, keep: false);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    private void Write(StreamWriter writer, string? line, bool keep)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            writer.WriteLine(line);
            if (keep)
            {
                _lines.Add(line);
            }
        }
    }

    /// <summary>The first stdout line starting with <paramref name="prefix"/>, waiting up to <paramref name="timeout"/>.</summary>
    public async Task<string> WaitForLineAsync(string prefix, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            lock (_gate)
            {
                if (_lines.FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal)) is { } line)
                {
                    return line;
                }
            }

            if (_process.HasExited)
            {
                break;
            }

            await Task.Delay(50, cancellationToken);
        }

        throw new InvalidOperationException($"{Name} printed no line starting with '{prefix}' (exited: {_process.HasExited})");
    }

    /// <summary>Writes one line to the child's standard input (started with <c>input: true</c>).</summary>
    public async Task SendAsync(string line, CancellationToken cancellationToken)
    {
        await _process.StandardInput.WriteLineAsync(line.AsMemory(), cancellationToken);
        await _process.StandardInput.FlushAsync(cancellationToken);
    }

    /// <summary>The child's resident set size in bytes (VmRSS of /proc/PID/status), or null once it has exited.</summary>
    public long? ResidentBytes()
    {
        try
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").FirstOrDefault(l => l.StartsWith("VmRSS:", StringComparison.Ordinal));
            return line is null ? null : long.Parse(line["VmRSS:".Length..].Trim().Split(' ')[0], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>CPU seconds the child has used so far (user + system, from /proc/PID/stat), or null once it has exited.</summary>
    public double? CpuSeconds()
    {
        try
        {
            var stat = File.ReadAllText($"/proc/{_process.Id}/stat");
            // Fields after the command name (which is in parentheses and may hold spaces): utime and stime are 14 and 15.
            var rest = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            var ticks = long.Parse(rest[11], System.Globalization.CultureInfo.InvariantCulture) + long.Parse(rest[12], System.Globalization.CultureInfo.InvariantCulture);
            return ticks / 100.0;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            return null;
        }
    }

    /// <summary>Sends SIGTERM and waits for the exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        if (!_process.HasExited && Kill(_process.Id, 15) != 0)
        {
            throw new InvalidOperationException($"SIGTERM to {Name} failed (errno {Marshal.GetLastPInvokeError()})");
        }

        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    /// <summary>SIGKILL, at once: no drain, no commit.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: false);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Waits for the process to exit by itself; the exit code, or null if it is still running after <paramref name="timeout"/>.</summary>
    public async Task<int?> WaitForExitAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        cts.CancelAfter(timeout);
        try
        {
            await _process.WaitForExitAsync(cts.Token);
            return _process.ExitCode;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.WaitForExit();
        lock (_gate)
        {
            _stdout.Dispose();
            _stderr.Dispose();
        }

        _process.Dispose();
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);
}
