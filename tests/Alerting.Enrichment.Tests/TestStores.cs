using System.Net.Sockets;
using Npgsql;

namespace Alerting.Enrichment.Tests;

/// <summary>An element of a test stream: a sequence number and the device it came from.</summary>
public sealed record Reading(int Seq, string DeviceId);

/// <summary>A test stream's element after the lookup join.</summary>
public sealed record EnrichedReading(int Seq, string DeviceId, DeviceConfig Config);

/// <summary>
/// Wraps a real store and holds each load for a random few milliseconds of real time, recording how many loads
/// ran at once, so a test can show that batches really were resolved in parallel.
/// </summary>
public sealed class DelayingStore(IDeviceConfigStore inner, int maxDelayMs) : IDeviceConfigStore
{
    private int _running;
    private int _maxRunning;

    public int MaxConcurrentLoads => Volatile.Read(ref _maxRunning);

    public long LoadQueries => inner.LoadQueries;

    public async Task<IReadOnlyDictionary<string, DeviceConfig>> LoadAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        var running = Interlocked.Increment(ref _running);
        try
        {
            int seen;
            while ((seen = Volatile.Read(ref _maxRunning)) < running && Interlocked.CompareExchange(ref _maxRunning, running, seen) != seen)
            {
            }
#pragma warning disable CA5394 // test jitter
            await Task.Delay(Random.Shared.Next(1, maxDelayMs), cancellationToken);
#pragma warning restore CA5394
            return await inner.LoadAsync(deviceIds, cancellationToken);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
        }
    }

    public Task UpsertAsync(IReadOnlyCollection<DeviceConfig> configs, CancellationToken cancellationToken) => inner.UpsertAsync(configs, cancellationToken);

    public Task ApplySchemaAsync(CancellationToken cancellationToken) => inner.ApplySchemaAsync(cancellationToken);
}

/// <summary>
/// Wraps a real store and fails its first <c>failures</c> loads (all of them when negative) the way a refused
/// connection fails in Npgsql, so backoff timing can be checked on a manual clock.
/// </summary>
public sealed class RefusingStore(IDeviceConfigStore inner, int failures) : IDeviceConfigStore
{
    private int _attempts;

    public int Attempts => Volatile.Read(ref _attempts);

    public long LoadQueries => inner.LoadQueries;

    public Task<IReadOnlyDictionary<string, DeviceConfig>> LoadAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        var attempt = Interlocked.Increment(ref _attempts);
        if (failures < 0 || attempt <= failures)
        {
            return Task.FromException<IReadOnlyDictionary<string, DeviceConfig>>(
                new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)));
        }
        return inner.LoadAsync(deviceIds, cancellationToken);
    }

    public Task UpsertAsync(IReadOnlyCollection<DeviceConfig> configs, CancellationToken cancellationToken) => inner.UpsertAsync(configs, cancellationToken);

    public Task ApplySchemaAsync(CancellationToken cancellationToken) => inner.ApplySchemaAsync(cancellationToken);
}

/// <summary>Polling helpers for conditions reached on another thread.</summary>
public static class Eventually
{
    public static async Task TrueAsync(Func<bool> condition, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(5));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail($"Timed out waiting for {what}.");
            }
            await Task.Delay(2);
        }
    }
}

/// <summary>
/// Wraps a real store and holds every load until the test opens the gate, recording the ids each load asked
/// for, so a test can have several loads in flight at once.
/// </summary>
public sealed class GatedStore(IDeviceConfigStore inner) : IDeviceConfigStore
{
    private readonly TaskCompletionSource _gate = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string[]> _requests = [];

    public IReadOnlyList<string[]> Requests
    {
        get
        {
            lock (_requests)
            {
                return [.. _requests];
            }
        }
    }

    public long LoadQueries => inner.LoadQueries;

    public void Open() => _gate.TrySetResult();

    public async Task<IReadOnlyDictionary<string, DeviceConfig>> LoadAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        lock (_requests)
        {
            _requests.Add([.. deviceIds]);
        }
        await _gate.Task.WaitAsync(cancellationToken);
        return await inner.LoadAsync(deviceIds, cancellationToken);
    }

    public Task UpsertAsync(IReadOnlyCollection<DeviceConfig> configs, CancellationToken cancellationToken) => inner.UpsertAsync(configs, cancellationToken);

    public Task ApplySchemaAsync(CancellationToken cancellationToken) => inner.ApplySchemaAsync(cancellationToken);
}
