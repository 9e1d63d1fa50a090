using System.Runtime.CompilerServices;

namespace Alerting.Rules;

/// <summary>A buffered event of a partial match: just what a match needs, not the event itself.</summary>
internal struct Candidate
{
    public long Time;
    public string Id;
    public int Mask;
}

/// <summary>
/// An alert raised for a device that a later event may revoke. Its id is kept as the 16 bytes the hex text of
/// <see cref="AlertIds"/> spells (two big-endian halves), not as that text: an open alert lives as long as the
/// open-alert time to live, and the 32-character string would cost more than the rest of it. An id that is not
/// such text (never made by this engine, but a snapshot could hold one) is kept as given.
/// </summary>
internal struct OpenAlert
{
    public ulong IdHigh;
    public ulong IdLow;
    public long FaultTime;
    public long AlertTime;

    // the id's text when it is not 32 lowercase hex digits; null otherwise
    private string? _text;

    public OpenAlert(UInt128 id, long faultTime, long alertTime)
    {
        IdHigh = (ulong)(id >> 64);
        IdLow = (ulong)id;
        FaultTime = faultTime;
        AlertTime = alertTime;
        _text = null;
    }

    /// <summary>An open alert whose id is given as text (a restored snapshot's).</summary>
    public static OpenAlert FromText(string alertId, long faultTime, long alertTime) =>
        AlertIds.TryParse(alertId, out var id)
            ? new OpenAlert(id, faultTime, alertTime)
            : new OpenAlert(UInt128.Zero, faultTime, alertTime) { _text = alertId };

    /// <summary>The alert's id, as raised.</summary>
    public readonly string AlertId => _text ?? AlertIds.Format(new UInt128(IdHigh, IdLow));
}

/// <summary>
/// The state of one rule for one device — partial-match candidates, a pending absence timer, open alerts —
/// held inline in its device's slot array. Candidate buffers come from the engine's <see cref="StatePool"/> and
/// go back to it as soon as they empty, so a rule state that empties and refills allocates nothing; open alerts
/// (rare) are kept in an array of exactly their number. A pattern rule buffers candidates and never starts a
/// timer, an absence rule starts timers and never buffers candidates, so one field holds either: the candidate
/// array while <see cref="Count"/> is above 0, otherwise the trigger event's id (or nothing). Invariants:
/// <see cref="Candidates"/> is null exactly when <see cref="Count"/> is 0, and <see cref="Open"/> exactly when
/// <see cref="OpenCount"/> is 0. 32 bytes.
/// </summary>
internal struct RuleSlot
{
    // Candidate[] while Count > 0; the trigger id (string) or null while Count is 0
    private object? _buffer;

    /// <summary>The open alerts, exactly <see cref="OpenCount"/> of them; null when none.</summary>
    public OpenAlert[]? Open;

    /// <summary>
    /// <see cref="VoidBefore"/> of a pattern rule or <see cref="TriggerTime"/> of an absence rule: a rule is one
    /// or the other, so they share the field (a snapshot writes the other as its fixed value).
    /// </summary>
    public long Mark;
    public int Rule;
    public int Count;

    /// <summary>The buffered candidates (at least <see cref="Count"/> long); null when there are none.</summary>
    public readonly Candidate[]? Candidates => Count > 0 ? Unsafe.As<Candidate[]>(_buffer) : null;

    /// <summary>The event that started the pending absence timer; null when no timer is pending. Set only while no candidate is buffered.</summary>
    public string? TriggerId
    {
        readonly get => Count == 0 ? Unsafe.As<string>(_buffer) : null;
        set
        {
            if (Count > 0)
            {
                throw new InvalidOperationException("a rule state buffering candidates cannot start an absence timer");
            }

            _buffer = value;
        }
    }

    public readonly int OpenCount => Open is null ? 0 : Open.Length;

    public static RuleSlot For(int rule) => new()
    {
        Rule = rule,
        Mark = long.MinValue,
    };

    /// <summary>Pattern rules: partial matches whose first event is before this time are void once a later event comes; <see cref="long.MinValue"/> when none.</summary>
    public long VoidBefore
    {
        readonly get => Mark;
        set => Mark = value;
    }

    /// <summary>Absence rules: the time of the event that started the latest timer.</summary>
    public long TriggerTime
    {
        readonly get => Mark;
        set => Mark = value;
    }

    /// <summary>Whether an absence timer is pending (started by <see cref="TriggerId"/> at <see cref="TriggerTime"/>).</summary>
    public readonly bool Pending => Count == 0 && _buffer is not null;

    public readonly bool IsEmpty => _buffer is null && Open is null;

    /// <summary>The earliest alert time of the open alerts; <see cref="long.MaxValue"/> when none is open.</summary>
    public readonly long MinOpenAlertTime()
    {
        var min = long.MaxValue;
        for (var i = 0; i < OpenCount; i++)
        {
            min = Math.Min(min, Open![i].AlertTime);
        }

        return min;
    }

    public void Add(StatePool pool, long time, string id, int mask)
    {
        Candidate[] candidates;
        if (Count == 0)
        {
            if (_buffer is not null)
            {
                throw new InvalidOperationException("a rule state with a pending absence timer cannot buffer candidates");
            }

            candidates = pool.RentCandidates();
            _buffer = candidates;
        }
        else
        {
            candidates = Unsafe.As<Candidate[]>(_buffer)!;
            if (Count == candidates.Length)
            {
                var larger = pool.RentCandidates(Count * 2);
                Array.Copy(candidates, larger, Count);
                pool.Return(candidates, Count);
                candidates = larger;
                _buffer = candidates;
            }
        }

        // events come in event-time order; a late one is inserted at its place
        var at = Count;
        while (at > 0 && candidates[at - 1].Time > time)
        {
            at--;
        }

        if (at < Count)
        {
            Array.Copy(candidates, at, candidates, at + 1, Count - at);
        }

        candidates[at] = new Candidate { Time = time, Id = id, Mask = mask };
        Count++;
    }

    /// <summary>Removes the candidates older than <paramref name="time"/>.</summary>
    public void RemoveBefore(StatePool pool, long time)
    {
        var candidates = Candidates!;
        var k = 0;
        while (k < Count && candidates[k].Time < time)
        {
            k++;
        }

        if (k == 0)
        {
            return;
        }

        if (k == Count)
        {
            pool.Return(candidates, Count);
            _buffer = null;
            Count = 0;
            return;
        }

        Array.Copy(candidates, k, candidates, 0, Count - k);
        Array.Clear(candidates, Count - k, k);
        Count -= k;
    }

    public void Clear(StatePool pool)
    {
        if (Count > 0)
        {
            pool.Return(Unsafe.As<Candidate[]>(_buffer)!, Count);
            _buffer = null;
        }

        Count = 0;
        VoidBefore = long.MinValue;
    }

    public void AddOpen(string alertId, long faultTime, long alertTime) => AddOpen(OpenAlert.FromText(alertId, faultTime, alertTime));

    public void AddOpen(in OpenAlert alert)
    {
        var n = OpenCount;
        var larger = new OpenAlert[n + 1];
        if (n > 0)
        {
            Array.Copy(Open!, larger, n);
        }

        larger[n] = alert;
        Open = larger;
    }

    public void ClearOpen() => Open = null;

    public void RemoveOpenUntil(long time)
    {
        var open = Open!;
        var kept = 0;
        for (var i = 0; i < open.Length; i++)
        {
            if (open[i].AlertTime > time)
            {
                kept++;
            }
        }

        if (kept == open.Length)
        {
            return;
        }

        if (kept == 0)
        {
            Open = null;
            return;
        }

        var rest = new OpenAlert[kept];
        var at = 0;
        foreach (var o in open)
        {
            if (o.AlertTime > time)
            {
                rest[at++] = o;
            }
        }

        Open = rest;
    }

    public readonly long EstimateBytes()
    {
        // the slot itself is counted with its device's array; buffers with their headers; strings are shared
        // with events and alerts
        long bytes = 0;
        if (Candidates is { } candidates)
        {
            bytes += 24 + (Unsafe.SizeOf<Candidate>() * (long)candidates.Length);
        }

        if (Open is not null)
        {
            bytes += 24 + (Unsafe.SizeOf<OpenAlert>() * (long)Open.Length);
        }

        return bytes;
    }
}

/// <summary>
/// All rule states of one device, inline in one array in the order they were created (a snapshot writes them
/// in that order). Removed from the engine as soon as it is empty, and then reused for another device: the
/// <see cref="Generation"/> tells a timer set for the previous device from one set for the current.
/// </summary>
internal sealed class DeviceState
{
    public string DeviceId = "";
    public string Topic = "";
    public int Partition;
    public RuleSlot[] Slots = [];
    public int SlotCount;
    public long ScheduledWake = long.MaxValue;
    public int Generation;
    public bool Removed;

    /// <summary>The rule-set epoch its slots' rule indexes refer to (see <c>RuleEngine.SwapRules</c>): behind the engine's, they are remapped before use.</summary>
    public int Epoch;

    /// <summary>
    /// At or before the earliest deadline of the pending absence timers (<see cref="long.MaxValue"/> when none is
    /// pending), so a check for due timers can stop here without reading the slots. Exact after each settle; a
    /// timer started since only lowers it, a timer cancelled since leaves it early, which is safe.
    /// </summary>
    public long AbsentDue = long.MinValue;

    /// <summary>
    /// The kind bits of events that can revoke an open alert or void a partial match of this device (a superset):
    /// events of other kinds need not look at the slots for that. All bits until the first settle.
    /// </summary>
    public ulong ReviseKinds = ulong.MaxValue;

    /// <summary>Whether a pattern rule state may hold a void mark (<see cref="RuleSlot.VoidBefore"/>) to apply.</summary>
    public bool AnyVoid = true;

    /// <summary>
    /// At or before the earliest time a buffered candidate of this device falls out of its window (first
    /// candidate + window + allowed lateness + 1, over the slots buffering any), so a settle that would not arm
    /// the timer earlier than <see cref="ScheduledWake"/> need not read the candidate buffers. Exact after a
    /// settle that read them; a candidate added since lowers it, one removed since leaves it early, which is safe.
    /// </summary>
    public long CandidateDue = long.MinValue;

    /// <summary>The same for the open alerts: at or before the earliest alert time + open-alert time to live.</summary>
    public long OpenDue = long.MinValue;

    /// <summary>Forgets the summaries, so the next event looks at every slot until the next settle.</summary>
    public void ResetSummaries()
    {
        AbsentDue = long.MinValue;
        ReviseKinds = ulong.MaxValue;
        AnyVoid = true;
        CandidateDue = long.MinValue;
        OpenDue = long.MinValue;
    }

    /// <summary>
    /// Appends an empty slot for <paramref name="rule"/>; returns its position. When the array is full it moves to
    /// the next size of the pool (half as large again), not to room for every rule the event could still start:
    /// most of them start nothing, and the room would stay unused for as long as the device holds state.
    /// </summary>
    public int Create(StatePool pool, int rule)
    {
        if (SlotCount == Slots.Length)
        {
            Resize(pool, SlotCount + 1);
        }

        Slots[SlotCount] = RuleSlot.For(rule);
        return SlotCount++;
    }

    /// <summary>
    /// Moves the slots to a smaller array once they fill at most half of theirs (after a settle dropped states), so
    /// a device that held many rule states for a while does not keep their room.
    /// </summary>
    public void ShrinkIfSparse(StatePool pool)
    {
        if (Slots.Length > StatePool.SmallestSlots && SlotCount <= Slots.Length / 2)
        {
            Resize(pool, SlotCount + 1);
        }
    }

    private void Resize(StatePool pool, int atLeast)
    {
        var other = pool.RentSlots(atLeast);
        Array.Copy(Slots, other, SlotCount);
        pool.Return(Slots, SlotCount);
        Slots = other;
    }
}

/// <summary>
/// Recycled buffers of the engine's device state: candidate arrays by power-of-two size, slot
/// arrays, and device states. Each size class keeps at most 64 KiB (and 1,024 device states), so what the pool
/// holds stays small beside the state it serves, also once every device is idle.
/// Single-threaded, like the engine that owns it.
/// </summary>
internal sealed class StatePool
{
    private const int MinCandidates = 1;
    private const int Classes = 16;
    private const int BytesPerClass = 64 * 1024;
    private const int MaxDevices = 1024;
    private readonly Stack<Candidate[]>[] _candidates = NewStacks<Candidate>();
    private readonly Stack<DeviceState> _devices = new();

    /// <summary>The length of the smallest slot array.</summary>
    public const int SmallestSlots = 4;

    // slot arrays grow gently (a device holds a handful of rule states): 4, 6, 9, 13, 19, ...
    private readonly int[] _slotSizes = SlotSizes();
    private readonly Stack<RuleSlot[]>[] _slots = NewStacks<RuleSlot>();

    public Candidate[] RentCandidates(int atLeast = MinCandidates) => Rent(_candidates, Math.Max(atLeast, MinCandidates));

    /// <summary>Takes back an array whose first <paramref name="used"/> entries may hold references.</summary>
    public void Return(Candidate[] array, int used) => Return(_candidates, array, used);

    /// <summary>A slot array of at least <paramref name="atLeast"/> slots.</summary>
    public RuleSlot[] RentSlots(int atLeast)
    {
        var c = 0;
        while (c < _slotSizes.Length - 1 && _slotSizes[c] < atLeast)
        {
            c++;
        }

        if (_slotSizes[c] < atLeast)
        {
            return new RuleSlot[atLeast];
        }

        return _slots[c].TryPop(out var array) ? array : new RuleSlot[_slotSizes[c]];
    }

    /// <summary>Takes back a slot array whose first <paramref name="used"/> slots may hold references.</summary>
    public void Return(RuleSlot[] array, int used)
    {
        var c = Array.IndexOf(_slotSizes, array.Length);
        if (c < 0 || _slots[c].Count >= Keep<RuleSlot>(array.Length))
        {
            return;
        }

        if (used > 0)
        {
            Array.Clear(array, 0, used);
        }

        _slots[c].Push(array);
    }

    public DeviceState RentDevice(string deviceId, string topic, int partition)
    {
        var dev = _devices.Count > 0 ? _devices.Pop() : new DeviceState();
        dev.DeviceId = deviceId;
        dev.Topic = topic;
        dev.Partition = partition;
        dev.ScheduledWake = long.MaxValue;
        dev.Removed = false;
        dev.ResetSummaries();
        return dev;
    }

    /// <summary>Takes back a removed device state: its slots must be empty; timers set for it no longer apply.</summary>
    public void Return(DeviceState dev)
    {
        dev.Generation++;
        dev.Removed = true;
        dev.DeviceId = "";
        dev.Topic = "";
        if (dev.SlotCount > 0)
        {
            Array.Clear(dev.Slots, 0, dev.SlotCount);
            dev.SlotCount = 0;
        }

        if (_devices.Count < MaxDevices)
        {
            _devices.Push(dev);
        }
    }

    private static int[] SlotSizes()
    {
        var sizes = new int[Classes];
        sizes[0] = SmallestSlots;
        for (var i = 1; i < Classes; i++)
        {
            sizes[i] = sizes[i - 1] + (sizes[i - 1] / 2);
        }

        return sizes;
    }

    private static Stack<T[]>[] NewStacks<T>()
    {
        var stacks = new Stack<T[]>[Classes];
        for (var i = 0; i < Classes; i++)
        {
            stacks[i] = new Stack<T[]>();
        }

        return stacks;
    }

    private static T[] Rent<T>(Stack<T[]>[] stacks, int atLeast)
    {
        var c = SizeClass(atLeast);
        if (c < Classes && stacks[c].TryPop(out var array))
        {
            return array;
        }

        return new T[1 << c];
    }

    private static void Return<T>(Stack<T[]>[] stacks, T[] array, int used)
    {
        if (used > 0)
        {
            Array.Clear(array, 0, used);
        }

        var c = SizeClass(array.Length);
        if (c < Classes && array.Length == 1 << c && stacks[c].Count < Keep<T>(array.Length))
        {
            stacks[c].Push(array);
        }
    }

    // how many arrays of this length a size class keeps
    private static int Keep<T>(int length) => BytesPerClass / (24 + (Unsafe.SizeOf<T>() * length));

    private static int SizeClass(int length) => length <= 1 ? 0 : 32 - System.Numerics.BitOperations.LeadingZeroCount((uint)(length - 1));
}
