using System.Text;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>What <see cref="RuleEngine.ImportRuleState"/> took.</summary>
/// <param name="Devices">Devices that received a state of the rule.</param>
/// <param name="NewDevices">Of those, devices the engine held no state for before.</param>
public readonly record struct RuleStateImport(int Devices, int NewDevices);

/// <summary>
/// Handing one rule's per-device state from one engine to another: a rule bootstrapped over history by an engine
/// that holds only that rule (see <see cref="RuleBootstrap"/>) gives its state to the live engine, which then
/// matches the rule's later events as if it had had the rule all along. A sequence rule's state is its automaton's
/// (see RuleEngine.SequenceBootstrap.cs).
/// </summary>
public sealed partial class RuleEngine
{
    private const int RuleStateFormat = 1;

    /// <summary>
    /// Writes every device's state of the rule <paramref name="ruleId"/> (version <paramref name="version"/>):
    /// partial matches, the absence timer and its trigger, open alerts; with each device its source partition. Events
    /// still waiting for the watermark are not part of it. The engine is left as it was.
    /// </summary>
    /// <exception cref="ArgumentException">The rule (id and version) is not in the engine's set.</exception>
    public byte[] ExportRuleState(string ruleId, int version)
    {
        ArgumentNullException.ThrowIfNull(ruleId);
        var index = RuleIndexOf(ruleId, version);
        if (IsSequenceRule(index))
        {
            return ExportSequenceRuleState(ruleId, version);
        }

        var holding = Holding(index);
        return WriteExport(ruleId, version, holding, h => (h.Device.DeviceId, h.Device.Topic, h.Device.Partition), (w, h) => WriteRuleState(w, ref h.Device.Slots[h.Slot]));
    }

    // The devices holding a state of rule `index`, with the slot it is in. Devices the swaps since they were last touched
    // left with nothing are dropped on the way.
    private List<(DeviceState Device, int Slot)> Holding(int index)
    {
        var holding = new List<(DeviceState Device, int Slot)>();
        List<DeviceState>? emptied = null;
        foreach (var dev in _devices.Values)
        {
            if (dev.Epoch != _epoch && !CatchUp(dev))
            {
                (emptied ??= []).Add(dev); // held only states of rules that are gone
                continue;
            }

            for (var i = 0; i < dev.SlotCount; i++)
            {
                if (dev.Slots[i].Rule == index && !dev.Slots[i].IsEmpty)
                {
                    holding.Add((dev, i));
                    break;
                }
            }
        }

        foreach (var dev in emptied ?? [])
        {
            _devices.Remove(dev.DeviceId);
            _pool.Return(dev);
        }

        return holding;
    }

    // The envelope of an exported rule state: format, rule id and version, then per device its id, source partition
    // and state (written by writeState).
    private static byte[] WriteExport<T>(string ruleId, int version, List<T> holding, Func<T, (string DeviceId, string Topic, int Partition)> device, Action<BinaryWriter, T> writeState)
    {
        using var stream = new MemoryStream();
        using (var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            w.Write(RuleStateFormat);
            w.Write(ruleId);
            w.Write(version);
            w.Write(holding.Count);
            foreach (var h in holding)
            {
                var (deviceId, topic, partition) = device(h);
                w.Write(deviceId);
                w.Write(topic);
                w.Write(partition);
                writeState(w, h);
            }
        }

        return stream.ToArray();
    }

    /// <summary>
    /// Takes a rule's per-device state written by <see cref="ExportRuleState"/> (of another engine) into this one: each
    /// device gets the state as its state of that rule (the same id and version must be in this engine's set), its
    /// timers armed at this engine's watermark. Meant for the moment a bootstrapped rule goes live, when this engine
    /// holds no state of the rule yet.
    /// </summary>
    /// <exception cref="ArgumentException">The rule (id and version) is not in this engine's set.</exception>
    /// <exception cref="InvalidOperationException">A device here already holds a state of the rule: nothing is taken from that device on.</exception>
    /// <exception cref="InvalidDataException">The bytes are not an exported rule state, or are cut short.</exception>
    public RuleStateImport ImportRuleState(byte[] exported)
    {
        ArgumentNullException.ThrowIfNull(exported);
        using var reader = new BinaryReader(new MemoryStream(exported, writable: false), Encoding.UTF8);
        try
        {
            var format = reader.ReadInt32();
            if (format != RuleStateFormat)
            {
                throw new InvalidDataException($"exported rule state format {format} is not known (expected {RuleStateFormat})");
            }

            var ruleId = reader.ReadString();
            var version = reader.ReadInt32();
            var index = RuleIndexOf(ruleId, version);
            if (IsSequenceRule(index))
            {
                return ImportSequenceRuleState(reader, ruleId, version);
            }

            var devices = reader.ReadInt32();
            var taken = 0;
            var fresh = 0;
            for (var d = 0; d < devices; d++)
            {
                var (deviceId, topic, partition) = (reader.ReadString(), reader.ReadString(), reader.ReadInt32());
                var (placed, isNew) = Place(deviceId, topic, partition, index, ruleId, version, new ExportedState(reader));
                taken += placed ? 1 : 0;
                fresh += isNew ? 1 : 0;
            }

            return new RuleStateImport(taken, fresh);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("exported rule state is cut short", ex);
        }
    }

    /// <summary>
    /// Takes every device's state of the rule <paramref name="ruleId"/> (version <paramref name="version"/>) from
    /// <paramref name="source"/>, as <c>ImportRuleState(source.ExportRuleState(ruleId, version))</c> would, without
    /// writing and reading it: the states are moved, not copied, and the source's states of the rule are left empty.
    /// For the hand-over of a bootstrapped rule, whose engine is dropped afterwards. A sequence rule's state is handed
    /// over through its export.
    /// </summary>
    /// <exception cref="ArgumentException">The rule (id and version) is not in one of the two engines' sets.</exception>
    /// <exception cref="InvalidOperationException">A device here already holds a state of the rule: nothing is taken from that device on.</exception>
    public RuleStateImport TakeRuleState(RuleEngine source, string ruleId, int version)
    {
        ArgumentNullException.ThrowIfNull(source);
        ArgumentNullException.ThrowIfNull(ruleId);
        if (ReferenceEquals(source, this))
        {
            throw new ArgumentException("an engine cannot take a rule's state from itself", nameof(source));
        }

        var from = source.RuleIndexOf(ruleId, version);
        var index = RuleIndexOf(ruleId, version);
        if (source.IsSequenceRule(from) || IsSequenceRule(index))
        {
            return ImportRuleState(source.ExportRuleState(ruleId, version));
        }

        var absent = _rules[index].Operator == PatternOperator.Absent;
        var taken = 0;
        var fresh = 0;
        foreach (var (src, slot) in source.Holding(from))
        {
            var (placed, isNew) = Place(src.DeviceId, src.Topic, src.Partition, index, ruleId, version, new SlotState(src, slot, absent));
            taken += placed ? 1 : 0;
            fresh += isNew ? 1 : 0;
        }

        return new RuleStateImport(taken, fresh);
    }

    // Gives the device a state of rule `index` from `state`: beside its other states when it is here (brought to the
    // current set first; refused when it already holds the rule), as a new device otherwise. Placed: it held something
    // (a state holding nothing leaves no slot); new: the device was not here before.
    private (bool Placed, bool New) Place<TState>(string deviceId, string topic, int partition, int index, string ruleId, int version, TState state)
        where TState : struct, IRuleStateSource
    {
        if (_devices.TryGetValue(deviceId, out var dev))
        {
            if (dev.Epoch != _epoch)
            {
                CatchUp(dev); // may leave it without slots: it stays in the table and gets one below
            }

            for (var i = 0; i < dev.SlotCount; i++)
            {
                if (dev.Slots[i].Rule == index && !dev.Slots[i].IsEmpty)
                {
                    throw new InvalidOperationException($"device '{deviceId}' already holds a state of rule '{ruleId}' v{version}");
                }
            }

            var placed = state.FillInto(this, dev, index);
            Resettle(dev);
            return (placed, false);
        }

        dev = _pool.RentDevice(deviceId, topic, partition);
        dev.Epoch = _epoch;
        if (!state.FillInto(this, dev, index))
        {
            _pool.Return(dev);
            return (false, false);
        }

        _devices[deviceId] = dev;
        Settle(dev);
        return (true, true);
    }

    // Where a placed rule state comes from: FillInto gives `dev` a new slot of rule `ruleIndex` holding it, or returns
    // false, without a slot, when it holds nothing.
    private interface IRuleStateSource
    {
        bool FillInto(RuleEngine engine, DeviceState dev, int ruleIndex);
    }

    // The next device's state in an export.
    private readonly struct ExportedState(BinaryReader reader) : IRuleStateSource
    {
        public bool FillInto(RuleEngine engine, DeviceState dev, int ruleIndex) => engine.ReadRuleState(reader, dev, ruleIndex);
    }

    // A state in another engine's device slot, moved.
    private readonly struct SlotState(DeviceState device, int slot, bool absent) : IRuleStateSource
    {
        public bool FillInto(RuleEngine engine, DeviceState dev, int ruleIndex) => engine.Take(ref device.Slots[slot], dev, ruleIndex, absent);
    }

    // One rule state moved from another engine's slot into a new slot of `dev`, as WriteRuleState then ReadRuleState
    // would carry it (a pattern rule keeps its void time, an absence rule its timer, and a timer only while pending);
    // the source slot is left empty (its buffers are not given back to the source's pool: they now live here). False,
    // without a slot, when it holds nothing.
    private bool Take(ref RuleSlot s, DeviceState dev, int ruleIndex, bool absent)
    {
        var trigger = s.Pending ? s.TriggerId : null;
        if (s.Count == 0 && trigger is null && s.OpenCount == 0)
        {
            return false;
        }

        var si = dev.Create(_pool, ruleIndex);
        ref var d = ref dev.Slots[si];
        for (var k = 0; k < s.Count; k++)
        {
            var c = s.Candidates![k];
            d.Add(_pool, c.Time, c.Id, c.Mask);
        }

        d.Mark = absent ? s.TriggerTime : s.VoidBefore;
        if (trigger is not null)
        {
            d.TriggerId = trigger;
        }

        d.Open = s.OpenCount == 0 ? null : s.Open;
        s = RuleSlot.For(s.Rule);
        return true;
    }

    private int RuleIndexOf(string ruleId, int version)
    {
        for (var i = 0; i < _rules.Length; i++)
        {
            if (_rules[i].Version == version && string.Equals(_rules[i].Id, ruleId, StringComparison.Ordinal))
            {
                return i;
            }
        }

        throw new ArgumentException($"rule '{ruleId}' v{version} is not in the engine's rule set (version {Rules.Version})", nameof(ruleId));
    }
}
