using System.Diagnostics.CodeAnalysis;

namespace Alerting.Enrichment;

/// <summary>
/// The lookup cache: at most <c>maxRows</c> device configurations, each served for <c>ttl</c> after it was
/// loaded (expire after write, on the injected <see cref="TimeProvider"/>), the least recently used one evicted
/// when a new row would exceed the bound. Devices that have no row are cached too, with their defaults, so a
/// missing device costs one query per TTL, not one per element. All members are thread-safe (one lock).
/// </summary>
public sealed class DeviceConfigCache
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, LinkedListNode<Entry>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<Entry> _recency = new(); // most recently used first
    private readonly TimeProvider _time;
    private long _hits;
    private long _misses;
    private long _evictions;
    private long _expired;
    private long _missingDevices;

    /// <summary>Creates an empty cache.</summary>
    /// <param name="maxRows">The bound on rows; 0 keeps nothing (every lookup misses).</param>
    /// <param name="ttl">How long a row is served after it was stored; must be positive.</param>
    /// <param name="timeProvider">The clock of the TTL; the system clock when null.</param>
    public DeviceConfigCache(int maxRows, TimeSpan ttl, TimeProvider? timeProvider = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxRows);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(ttl, TimeSpan.Zero);
        MaxRows = maxRows;
        Ttl = ttl;
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The bound on rows.</summary>
    public int MaxRows { get; }

    /// <summary>How long a row is served after it was stored.</summary>
    public TimeSpan Ttl { get; }

    /// <summary>Rows held now (some may have expired and not yet been removed).</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>A snapshot of the counters.</summary>
    public DeviceConfigCacheStatistics Statistics
    {
        get
        {
            lock (_gate)
            {
                return new DeviceConfigCacheStatistics(_hits, _misses, _evictions, _expired, _missingDevices, _index.Count);
            }
        }
    }

    /// <summary>
    /// Returns the cached configuration of <paramref name="deviceId"/> if it is there and has not expired (a hit,
    /// which makes it the most recently used); otherwise a miss, removing an expired row (counted as expired).
    /// </summary>
    public bool TryGet(string deviceId, [MaybeNullWhen(false)] out DeviceConfig config)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_index.TryGetValue(deviceId, out var node))
            {
                if (_time.GetElapsedTime(node.Value.StoredAt, now) < Ttl)
                {
                    _recency.Remove(node);
                    _recency.AddFirst(node);
                    _hits++;
                    config = node.Value.Config;
                    return true;
                }
                _recency.Remove(node);
                _index.Remove(deviceId);
                _expired++;
            }
            _misses++;
            config = null;
            return false;
        }
    }

    /// <summary>Stores (or replaces) the configuration of <c>config.DeviceId</c>, evicting the least recently used rows beyond the bound.</summary>
    public void Put(DeviceConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            PutLocked(config, now);
        }
    }

    /// <summary>
    /// Records that <paramref name="deviceId"/> has no row: counts a missing device and caches its defaults.
    /// Returns <see cref="DeviceConfig.Defaults(string)"/> for it.
    /// </summary>
    public DeviceConfig PutMissing(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        var defaults = DeviceConfig.Defaults(deviceId);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            _missingDevices++;
            PutLocked(defaults, now);
        }
        return defaults;
    }

    /// <summary>Removes the row of <paramref name="deviceId"/>, if any (not counted as an eviction).</summary>
    public bool Invalidate(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        lock (_gate)
        {
            if (!_index.Remove(deviceId, out var node))
            {
                return false;
            }
            _recency.Remove(node);
            return true;
        }
    }

    /// <summary>Removes every row (the counters stay).</summary>
    public void Clear()
    {
        lock (_gate)
        {
            _index.Clear();
            _recency.Clear();
        }
    }

    private void PutLocked(DeviceConfig config, long now)
    {
        if (MaxRows == 0)
        {
            return;
        }
        if (_index.TryGetValue(config.DeviceId, out var existing))
        {
            existing.Value = new Entry(config, now);
            _recency.Remove(existing);
            _recency.AddFirst(existing);
            return;
        }
        while (_index.Count >= MaxRows)
        {
            var last = _recency.Last!;
            _recency.RemoveLast();
            _index.Remove(last.Value.Config.DeviceId);
            _evictions++;
        }
        _index[config.DeviceId] = _recency.AddFirst(new Entry(config, now));
    }

    private readonly record struct Entry(DeviceConfig Config, long StoredAt);
}

/// <summary>Counters of a <see cref="DeviceConfigCache"/>, cumulative since it was created.</summary>
/// <param name="Hits">Lookups served from the cache.</param>
/// <param name="Misses">Lookups not served from the cache (absent or expired rows).</param>
/// <param name="Evictions">Rows removed to keep within the bound.</param>
/// <param name="Expired">Rows removed because their TTL had passed when they were looked up.</param>
/// <param name="MissingDevices">Loads that found no row for a device, which then got its defaults.</param>
/// <param name="Rows">Rows held when the snapshot was taken.</param>
public readonly record struct DeviceConfigCacheStatistics(long Hits, long Misses, long Evictions, long Expired, long MissingDevices, int Rows);
