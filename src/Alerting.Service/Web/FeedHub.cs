namespace Alerting.Service.Web;

/// <summary>What happened, as the live feed shows it.</summary>
public enum FeedKind
{
    /// <summary>The alert graph produced a Generate.</summary>
    Generate,

    /// <summary>The alert graph produced a Revoke.</summary>
    Revoke,

    /// <summary>The dispatcher holds a Generate for its delay.</summary>
    Held,

    /// <summary>The dispatcher sent the alert (its work order may now be opened).</summary>
    Dispatch,

    /// <summary>A Revoke arrived while the alert was held: nothing is sent.</summary>
    Cancel,

    /// <summary>The dispatcher did not pass a Generate, a Revoke or a work-order update on (see the detail).</summary>
    Drop,

    /// <summary>The dispatcher sent the revoke of a dispatched alert.</summary>
    RevokeSent,

    /// <summary>A source event of a device being looked at (kept in that device's history only).</summary>
    Event,
}

/// <summary>One entry of the live feed.</summary>
/// <param name="Seq">Its place in the hub (1, 2, …), set by <see cref="FeedHub.Publish"/>.</param>
/// <param name="Time">Wall clock when published, Unix ms.</param>
/// <param name="Kind">What happened.</param>
/// <param name="DeviceId">The device.</param>
/// <param name="RuleId">The rule (alert graph entries), or null.</param>
/// <param name="AlertId">The alert, or null (source events).</param>
/// <param name="AlertType">The alert type, or the source event's kind.</param>
/// <param name="EventTime">Event time (alert time, or the source event's time), Unix ms, or null.</param>
/// <param name="Detail">Why (a drop's reason, the hold's due time, the source event's id), or null.</param>
/// <param name="Partition">The source partition (source events), or null.</param>
public sealed record FeedItem(long Seq, long Time, FeedKind Kind, string DeviceId, string? RuleId, string? AlertId, string? AlertType, long? EventTime, string? Detail, int? Partition = null);

/// <summary>What a reader takes from the hub: a sample of the new entries and how many it did not get.</summary>
/// <param name="Items">At most the asked number of matching entries, the newest ones, oldest first.</param>
/// <param name="Matched">Matching entries published since the reader's position (also those left out).</param>
/// <param name="Missed">Entries the ring overwrote before the reader got to them (not filtered).</param>
/// <param name="Next">The position to read from next.</param>
public sealed record FeedBatch(IReadOnlyList<FeedItem> Items, long Matched, long Missed, long Next);

/// <summary>What a reader wants from the feed: each criterion that is set must hold.</summary>
/// <param name="RuleId">Only this rule's entries (dispatcher entries carry no rule: they pass when only the kind or device is asked).</param>
/// <param name="DeviceId">Only this device's entries.</param>
/// <param name="Kinds">Only these kinds (empty: all but <see cref="FeedKind.Event"/>).</param>
public sealed record FeedFilter(string? RuleId, string? DeviceId, IReadOnlySet<FeedKind> Kinds)
{
    /// <summary>Everything but source events.</summary>
    public static FeedFilter All { get; } = new(null, null, new HashSet<FeedKind>());

    /// <summary>Whether <paramref name="item"/> passes.</summary>
    public bool Matches(FeedItem item)
    {
        ArgumentNullException.ThrowIfNull(item);
        if (Kinds.Count == 0 ? item.Kind == FeedKind.Event : !Kinds.Contains(item.Kind))
        {
            return false;
        }

        if (DeviceId is { Length: > 0 } device && !string.Equals(item.DeviceId, device, StringComparison.Ordinal))
        {
            return false;
        }

        return RuleId is not { Length: > 0 } rule || item.RuleId is null || string.Equals(item.RuleId, rule, StringComparison.Ordinal);
    }
}

/// <summary>
/// The node's live feed, plain C#: the alert graph and the dispatcher publish what they do, the web view reads a
/// sample. Everything is bounded so that 100k devices at full rate cost a fixed amount of memory and never slow the
/// stream: a ring of the last <c>capacity</c> entries (a slow reader skips what was overwritten, counted), per-rule
/// counts in one-second buckets over the last 15 minutes, and the recent history of at most <c>devices</c> devices
/// (least recently touched forgotten first), each at most <c>perDevice</c> entries. Source events are kept only for
/// the few devices someone is looking at (<see cref="Watch"/>). <see cref="Publish"/> never waits: when another
/// thread holds the hub at that moment the entry is dropped and counted (<see cref="Dropped"/>).
/// </summary>
public sealed class FeedHub
{
    /// <summary>How far back the rate chart goes.</summary>
    public static readonly TimeSpan RateWindow = TimeSpan.FromMinutes(15);

    private const int Buckets = 900; // one per second of RateWindow
    private readonly FeedItem?[] _ring;
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly DeviceHistory _history;
    private readonly Dictionary<string, long[]> _rates = new(StringComparer.Ordinal);
    private readonly Dictionary<string, long> _watched = new(StringComparer.Ordinal);
    private readonly int _maxWatched;
    private readonly TimeSpan _watchFor;
    private readonly long[] _maxEventTime = new long[1024];
    private volatile int _watchCount;
    private CachedTotals? _totals;
    private long _rateSecond;
    private long _seq;
    private long _dropped;

    /// <summary>Creates a hub.</summary>
    /// <param name="time">The wall clock.</param>
    /// <param name="capacity">Entries kept in the ring (at least 16).</param>
    /// <param name="devices">Devices whose recent history is kept.</param>
    /// <param name="perDevice">Entries kept per device.</param>
    /// <param name="maxWatched">Devices whose source events are kept at once.</param>
    /// <param name="watchFor">How long a device stays watched after it was last asked for.</param>
    public FeedHub(TimeProvider time, int capacity = 4096, int devices = 4096, int perDevice = 32, int maxWatched = 64, TimeSpan? watchFor = null)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxWatched, 1);
        _time = time;
        _ring = new FeedItem?[capacity];
        _history = new DeviceHistory(devices, perDevice);
        _maxWatched = maxWatched;
        _watchFor = watchFor ?? TimeSpan.FromMinutes(10);
        _rateSecond = time.GetUtcNow().ToUnixTimeSeconds();
        Array.Fill(_maxEventTime, long.MinValue);
    }

    /// <summary>Entries published so far (the position of the newest).</summary>
    public long Published => Interlocked.Read(ref _seq);

    /// <summary>Entries dropped because the hub was busy when they were published.</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>Devices whose history the hub holds now.</summary>
    public int DevicesHeld
    {
        get
        {
            lock (_gate)
            {
                return _history.Count;
            }
        }
    }

    /// <summary>
    /// Adds an entry (its <see cref="FeedItem.Seq"/> and <see cref="FeedItem.Time"/> are set here) without waiting:
    /// dropped and counted when the hub is busy. A <see cref="FeedKind.Event"/> goes into its device's history only,
    /// and only while the device is watched.
    /// </summary>
    /// <returns>Whether the entry was taken.</returns>
    public bool Publish(FeedKind kind, string deviceId, string? ruleId, string? alertId, string? alertType, long? eventTime, string? detail, int? partition = null)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        if (kind == FeedKind.Event && _watchCount == 0)
        {
            return false; // the stream's usual case: nobody looks at any device
        }

        if (!TryEnterBriefly())
        {
            Interlocked.Increment(ref _dropped);
            return false;
        }

        try
        {
            var now = _time.GetUtcNow();
            if (kind == FeedKind.Event)
            {
                if (!WatchedLocked(deviceId, now))
                {
                    return false;
                }

                _history.Add(new FeedItem(0, now.ToUnixTimeMilliseconds(), kind, deviceId, ruleId, alertId, alertType, eventTime, detail, partition));
                return true;
            }

            var seq = ++_seq;
            var item = new FeedItem(seq, now.ToUnixTimeMilliseconds(), kind, deviceId, ruleId, alertId, alertType, eventTime, detail, partition);
            _ring[seq % _ring.Length] = item;
            _history.Add(item);
            if (ruleId is not null && kind is FeedKind.Generate or FeedKind.Revoke)
            {
                CountRateLocked(ruleId, now.ToUnixTimeSeconds());
            }

            return true;
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Whether the source events of <paramref name="deviceId"/> are wanted now: cheap when nobody watches anything,
    /// which is the stream's usual case.
    /// </summary>
    public bool IsWatched(string deviceId)
    {
        if (_watchCount == 0)
        {
            return false;
        }

        if (!_gate.TryEnter())
        {
            return false;
        }

        try
        {
            return WatchedLocked(deviceId, _time.GetUtcNow());
        }
        finally
        {
            _gate.Exit();
        }
    }

    /// <summary>
    /// Keeps the source events of <paramref name="deviceId"/> for a while (<c>watchFor</c> from now); when
    /// <c>maxWatched</c> devices are watched already, the one asked for longest ago is let go.
    /// </summary>
    public void Watch(string deviceId)
    {
        ArgumentNullException.ThrowIfNull(deviceId);
        lock (_gate)
        {
            var now = _time.GetUtcNow();
            if (!_watched.ContainsKey(deviceId) && _watched.Count >= _maxWatched)
            {
                var oldest = _watched.MinBy(kv => kv.Value).Key;
                _watched.Remove(oldest);
            }

            _watched[deviceId] = (now + _watchFor).ToUnixTimeMilliseconds();
            _watchCount = _watched.Count;
        }
    }

    /// <summary>
    /// Notes the event time of an event of <paramref name="partition"/> (a partition's substream is its only
    /// writer): the watermark the device view shows is the largest minus the allowed disorder.
    /// </summary>
    public void ObserveEventTime(int partition, long eventTime)
    {
        if ((uint)partition < (uint)_maxEventTime.Length && Volatile.Read(ref _maxEventTime[partition]) < eventTime)
        {
            Volatile.Write(ref _maxEventTime[partition], eventTime);
        }
    }

    /// <summary>The largest event time seen on <paramref name="partition"/>, or null.</summary>
    public long? MaxEventTime(int partition) =>
        (uint)partition < (uint)_maxEventTime.Length && Volatile.Read(ref _maxEventTime[partition]) is var t && t != long.MinValue ? t : null;

    /// <summary>
    /// The entries after <paramref name="after"/> that pass <paramref name="filter"/>: at most <paramref name="max"/>
    /// of them, the newest. A reader that fell behind by more than the ring holds gets <see cref="FeedBatch.Missed"/>.
    /// </summary>
    public FeedBatch Read(long after, FeedFilter filter, int max)
    {
        ArgumentNullException.ThrowIfNull(filter);
        ArgumentOutOfRangeException.ThrowIfNegative(max);
        FeedItem?[] slice;
        long missed;
        long newest;
        lock (_gate)
        {
            // only the copy of the window holds the hub: filtering happens outside, so publishers are not held up
            newest = _seq;
            var from = Math.Max(after + 1, newest - _ring.Length + 1);
            missed = Math.Max(0, from - (after + 1));
            slice = new FeedItem?[Math.Max(0, newest - from + 1)];
            for (var i = 0; i < slice.Length; i++)
            {
                slice[i] = _ring[(from + i) % _ring.Length];
            }
        }

        long matched = 0;
        var window = new Queue<FeedItem>();
        foreach (var item in slice)
        {
            if (item is not null && item.Seq > after && filter.Matches(item))
            {
                matched++;
                window.Enqueue(item);
                if (window.Count > max)
                {
                    window.Dequeue();
                }
            }
        }

        List<FeedItem> picked = [.. window];
        return new FeedBatch(picked, matched, missed, newest);
    }

    /// <summary>The recent history of <paramref name="deviceId"/>, oldest first (empty when the hub holds none).</summary>
    public IReadOnlyList<FeedItem> History(string deviceId)
    {
        lock (_gate)
        {
            return _history.Get(deviceId);
        }
    }

    /// <summary>
    /// Alerts (Generates and Revokes) per rule and second over the last 15 minutes, oldest second first: the rate
    /// chart's series, with the Unix second of the last bucket.
    /// </summary>
    public (long EndSecond, IReadOnlyDictionary<string, long[]> PerRule) Rates()
    {
        lock (_gate)
        {
            var now = _time.GetUtcNow().ToUnixTimeSeconds();
            AdvanceLocked(now);
            var result = new SortedDictionary<string, long[]>(StringComparer.Ordinal);
            foreach (var (rule, buckets) in _rates)
            {
                var series = new long[Buckets];
                for (var i = 0; i < Buckets; i++)
                {
                    series[i] = buckets[(now - Buckets + 1 + i).Mod(Buckets)];
                }

                result[rule] = series;
            }

            return (now, result);
        }
    }

    /// <summary>
    /// Generates and Revokes per rule over the last 15 minutes; worked out at most once per 250 ms however many
    /// streams ask (each sends them every 250 ms).
    /// </summary>
    public IReadOnlyDictionary<string, long> Totals()
    {
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (Volatile.Read(ref _totals) is { } cached && now - cached.At < 250 && now >= cached.At)
        {
            return cached.PerRule;
        }

        var (_, perRule) = Rates();
        var totals = perRule.ToDictionary(kv => kv.Key, kv => kv.Value.Sum(), StringComparer.Ordinal);
        Volatile.Write(ref _totals, new CachedTotals(now, totals));
        return totals;
    }

    private sealed record CachedTotals(long At, IReadOnlyDictionary<string, long> PerRule);

    /// <summary>Takes the hub if it is free now or within a few spins (other holders keep it for well under a microsecond).</summary>
    private bool TryEnterBriefly()
    {
        for (var i = 0; i < 8; i++)
        {
            if (_gate.TryEnter())
            {
                return true;
            }

            Thread.SpinWait(16);
        }

        return false;
    }

    private bool WatchedLocked(string deviceId, DateTimeOffset now)
    {
        if (!_watched.TryGetValue(deviceId, out var until))
        {
            return false;
        }

        if (until >= now.ToUnixTimeMilliseconds())
        {
            return true;
        }

        _watched.Remove(deviceId);
        _watchCount = _watched.Count;
        return false;
    }

    private void CountRateLocked(string ruleId, long second)
    {
        AdvanceLocked(second);
        if (!_rates.TryGetValue(ruleId, out var buckets))
        {
            if (_rates.Count >= 1024)
            {
                return; // rule ids are bounded by the rule set; this guards the hub against a flood of ids
            }

            buckets = new long[Buckets];
            _rates[ruleId] = buckets;
        }

        buckets[second.Mod(Buckets)]++;
    }

    /// <summary>Clears the buckets of the seconds that passed since the last count.</summary>
    private void AdvanceLocked(long second)
    {
        if (second <= _rateSecond)
        {
            return;
        }

        var steps = Math.Min(second - _rateSecond, Buckets);
        foreach (var buckets in _rates.Values)
        {
            for (var s = 1; s <= steps; s++)
            {
                buckets[(_rateSecond + s).Mod(Buckets)] = 0;
            }
        }

        _rateSecond = second;
    }
}

/// <summary>Non-negative remainder.</summary>
internal static class LongMod
{
    public static int Mod(this long value, int modulus) => (int)(((value % modulus) + modulus) % modulus);
}

/// <summary>
/// The recent entries of a bounded number of devices: least recently touched device forgotten first; per device a
/// bounded queue of source events and another of alert and dispatcher entries, so a busy device's events do not push
/// its alerts out. Not thread-safe (the hub holds its lock).
/// </summary>
internal sealed class DeviceHistory(int devices, int perDevice)
{
    private sealed class Entries
    {
        public Queue<FeedItem> Events { get; } = new();

        public Queue<FeedItem> Alerts { get; } = new();
    }

    private readonly Dictionary<string, LinkedListNode<(string Device, Entries Items)>> _index = new(StringComparer.Ordinal);
    private readonly LinkedList<(string Device, Entries Items)> _order = new();

    public int Count => _index.Count;

    public void Add(FeedItem item)
    {
        if (_index.TryGetValue(item.DeviceId, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
        }
        else
        {
            if (_index.Count >= devices && _order.Last is { } last)
            {
                _order.RemoveLast();
                _index.Remove(last.Value.Device);
            }

            node = _order.AddFirst((item.DeviceId, new Entries()));
            _index[item.DeviceId] = node;
        }

        var items = item.Kind == FeedKind.Event ? node.Value.Items.Events : node.Value.Items.Alerts;
        items.Enqueue(item);
        while (items.Count > perDevice)
        {
            items.Dequeue();
        }
    }

    /// <summary>Both queues of <paramref name="device"/>, in the order they were added.</summary>
    public IReadOnlyList<FeedItem> Get(string device) =>
        _index.TryGetValue(device, out var node)
            ? [.. node.Value.Items.Events.Concat(node.Value.Items.Alerts).OrderBy(i => i.Time)]
            : [];
}
