using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Alerting.Enrichment;

/// <summary>
/// The device-config lookup join (the reference job's JDBC lookup <c>FOR SYSTEM_TIME AS OF</c> with
/// <c>lookup.cache.max-rows</c> and <c>lookup.cache.ttl</c>): resolves device ids through a
/// <see cref="DeviceConfigCache"/> and sends each batch's misses to the <see cref="IDeviceConfigStore"/> in one
/// query; a device whose load is already in flight for another batch waits for that load instead of being
/// asked for twice. A device with no row gets <see cref="DeviceConfig.Defaults(string)"/> (cached too, and counted).
/// A transient store failure (see <see cref="TransientFailures"/>) is retried after an exponential backoff,
/// capped, on the injected clock, for as long as it takes: the caller waits, so a stream backpressures and
/// loses nothing. A non-transient failure is thrown. One instance is shared by every stream that enriches
/// from the same store; it is thread-safe.
/// </summary>
public sealed class DeviceConfigLookup
{
    private readonly IDeviceConfigStore _store;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly Func<Exception, bool> _isTransient;
    private long _batches;
    private long _loads;
    private long _failedLoads;
    private long _sharedLoads;
    private readonly Dictionary<string, TaskCompletionSource<DeviceConfig>> _pending = new(StringComparer.Ordinal);

    /// <summary>Creates the lookup and its cache.</summary>
    /// <param name="store">Where configurations are loaded from.</param>
    /// <param name="settings">Cache, batching, parallelism and backoff; <see cref="DeviceLookupSettings.Default"/> when null.</param>
    /// <param name="timeProvider">The clock of the cache's TTL and of the backoff; the system clock when null.</param>
    /// <param name="logger">Where retries are logged; nowhere when null.</param>
    /// <param name="isTransient">Which failures are retried; <see cref="TransientFailures.IsTransient"/> when null.</param>
    public DeviceConfigLookup(
        IDeviceConfigStore store,
        DeviceLookupSettings? settings = null,
        TimeProvider? timeProvider = null,
        ILogger? logger = null,
        Func<Exception, bool>? isTransient = null)
    {
        ArgumentNullException.ThrowIfNull(store);
        _store = store;
        Settings = (settings ?? DeviceLookupSettings.Default).Validate();
        _time = timeProvider ?? TimeProvider.System;
        _logger = logger ?? NullLogger.Instance;
        _isTransient = isTransient ?? TransientFailures.IsTransient;
        Cache = new DeviceConfigCache(Settings.CacheMaxRows, Settings.CacheTtl, _time);
    }

    /// <summary>The settings in force.</summary>
    public DeviceLookupSettings Settings { get; }

    /// <summary>The cache (its counters are the hits, misses, evictions, expiries and missing devices).</summary>
    public DeviceConfigCache Cache { get; }

    /// <summary>A snapshot of the lookup's counters and its cache's.</summary>
    public DeviceLookupStatistics Statistics =>
        new(Interlocked.Read(ref _batches), Interlocked.Read(ref _loads), Interlocked.Read(ref _failedLoads), Interlocked.Read(ref _sharedLoads), Cache.Statistics);

    /// <summary>
    /// Returns the configuration of every id in <paramref name="deviceIds"/> (repeats allowed), keyed by id:
    /// cached rows from the cache (hits and misses are counted once per distinct id of the call); ids that another
    /// call is already loading, from that call's query when it completes; every other id from one store query
    /// (retried while the failure is transient); defaults for ids that have no row. If the call loading an id
    /// stops or fails, the calls waiting for it load it themselves. Cancellation stops a query, a wait or a
    /// backoff and throws. A call whose ids are all cached completes synchronously; store queries always run on
    /// the thread pool, never on the caller's thread.
    /// </summary>
    public async Task<IReadOnlyDictionary<string, DeviceConfig>> ResolveAsync(IReadOnlyCollection<string> deviceIds, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(deviceIds);
        Interlocked.Increment(ref _batches);
        var result = new Dictionary<string, DeviceConfig>(deviceIds.Count, StringComparer.Ordinal);
        List<string>? misses = null;
        HashSet<string>? missed = null;
        foreach (var id in deviceIds)
        {
            ArgumentNullException.ThrowIfNull(id, nameof(deviceIds));
            if (result.ContainsKey(id) || (missed?.Contains(id) ?? false))
            {
                continue;
            }
            if (Cache.TryGet(id, out var cached))
            {
                result[id] = cached;
            }
            else
            {
                (misses ??= []).Add(id);
                (missed ??= new HashSet<string>(StringComparer.Ordinal)).Add(id);
            }
        }
        if (misses is null)
        {
            return result;
        }

        // a device already being loaded for another batch (of this stream or another) is not asked for again
        List<string>? own = null;
        List<(string Id, Task<DeviceConfig> Load)>? shared = null;
        lock (_pending)
        {
            foreach (var id in misses)
            {
                if (_pending.TryGetValue(id, out var inFlight))
                {
                    (shared ??= []).Add((id, inFlight.Task));
                }
                else
                {
                    _pending[id] = new TaskCompletionSource<DeviceConfig>(TaskCreationOptions.RunContinuationsAsynchronously);
                    (own ??= []).Add(id);
                }
            }
        }
        if (own is not null)
        {
            // The caller may be a stream's thread and the store's client may run synchronously (SQLite): the query
            // and its backoff run on the thread pool. A batch that is all cache hits never gets here.
            await Task.Run(() => LoadOwnAsync(own, result, cancellationToken), CancellationToken.None); // it settles its pending ids even when cancelled
        }
        if (shared is not null)
        {
            List<string>? fallback = null;
            foreach (var (id, load) in shared)
            {
                try
                {
                    result[id] = await load.WaitAsync(cancellationToken);
                    Interlocked.Increment(ref _sharedLoads);
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    (fallback ??= []).Add(id); // the batch loading it stopped or failed: load it here
                }
            }
            if (fallback is not null)
            {
                var loaded = await Task.Run(() => LoadWithRetryAsync(fallback, cancellationToken), CancellationToken.None);
                foreach (var id in fallback)
                {
                    result[id] = Store(id, loaded);
                }
            }
        }
        return result;
    }

    private async Task LoadOwnAsync(List<string> ids, Dictionary<string, DeviceConfig> result, CancellationToken cancellationToken)
    {
        try
        {
            var loaded = await LoadWithRetryAsync(ids, cancellationToken);
            foreach (var id in ids)
            {
                var config = Store(id, loaded);
                result[id] = config;
                Settle(id, config);
            }
        }
        catch
        {
            foreach (var id in ids)
            {
                Settle(id, null); // waiting batches load these themselves
            }
            throw;
        }
    }

    private DeviceConfig Store(string id, IReadOnlyDictionary<string, DeviceConfig> loaded)
    {
        if (loaded.TryGetValue(id, out var config))
        {
            Cache.Put(config);
            return config;
        }
        return Cache.PutMissing(id);
    }

    private void Settle(string id, DeviceConfig? config)
    {
        TaskCompletionSource<DeviceConfig>? load;
        lock (_pending)
        {
            _pending.Remove(id, out load);
        }
        if (config is null)
        {
            load?.TrySetCanceled(CancellationToken.None);
        }
        else
        {
            load?.TrySetResult(config);
        }
    }

    private async Task<IReadOnlyDictionary<string, DeviceConfig>> LoadWithRetryAsync(List<string> ids, CancellationToken cancellationToken)
    {
        var failures = 0;
        while (true)
        {
            cancellationToken.ThrowIfCancellationRequested();
            Interlocked.Increment(ref _loads);
            try
            {
                var loaded = await _store.LoadAsync(ids, cancellationToken);
                if (failures > 0)
                {
                    Log.LoadRecovered(_logger, failures);
                }
                return loaded;
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested && _isTransient(ex))
            {
                failures++;
                Interlocked.Increment(ref _failedLoads);
#pragma warning disable CA5394 // jitter, not security
                var delay = Settings.Backoff(failures, Random.Shared.NextDouble());
#pragma warning restore CA5394
                Log.LoadFailed(_logger, ids.Count, failures, delay, ex);
                await Task.Delay(delay, _time, cancellationToken);
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                Interlocked.Increment(ref _failedLoads);
                Log.LoadFailedPermanently(_logger, ids.Count, ex);
                throw;
            }
        }
    }
}

/// <summary>Counters of a <see cref="DeviceConfigLookup"/>, cumulative since it was created.</summary>
/// <param name="Batches">Calls of <see cref="DeviceConfigLookup.ResolveAsync"/> (one per batch in the stage).</param>
/// <param name="Loads">Store queries attempted (a retried batch counts each attempt).</param>
/// <param name="FailedLoads">Store queries that failed (each then retried, unless the failure was not transient).</param>
/// <param name="SharedLoads">Cache misses served by another batch's query already in flight for the same device.</param>
/// <param name="Cache">The cache's counters.</param>
public readonly record struct DeviceLookupStatistics(long Batches, long Loads, long FailedLoads, long SharedLoads, DeviceConfigCacheStatistics Cache);
