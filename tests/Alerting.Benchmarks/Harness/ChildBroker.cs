using System.Diagnostics;
using Alerting.Kafka.Embedded;

namespace Alerting.Benchmarks.Harness;

/// <summary>
/// The embedded broker in a child process (the service's <c>dev-broker</c> verb), so a benchmark's own
/// CPU time counts the code under test and not the broker.
/// </summary>
public sealed class ChildBroker : IAsyncDisposable
{
    private readonly Process _process;

    private ChildBroker(Process process, string bootstrapServers)
    {
        _process = process;
        BootstrapServers = bootstrapServers;
    }

    public string BootstrapServers { get; }

    /// <summary>Starts <c>Alerting.Service dev-broker</c> with the service's topics of <paramref name="partitions"/> partitions.</summary>
    public static async Task<ChildBroker> StartAsync(int partitions, TextWriter log, CancellationToken cancellationToken)
    {
        var service = Path.Combine(AppContext.BaseDirectory, "Alerting.Service.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { service, "dev-broker", $"--alerting:demo:partitions={partitions}" })
        {
            info.ArgumentList.Add(arg);
        }

        var process = Process.Start(info) ?? throw new InvalidOperationException("could not start the dev broker");
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                log.WriteLine("[dev-broker] " + e.Data);
            }
        };
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        while (await process.StandardOutput.ReadLineAsync(timeout.Token) is { } line)
        {
            if (line.StartsWith(DevBroker.BootstrapLinePrefix, StringComparison.Ordinal))
            {
                return new ChildBroker(process, line[DevBroker.BootstrapLinePrefix.Length..].Trim());
            }
        }

        process.Kill(entireProcessTree: true);
        process.Dispose();
        throw new InvalidOperationException("the dev broker exited without printing its address");
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
