using System.Text;
using Alerting.Events;
using Alerting.Rules.Language;

namespace Alerting.Rules;

/// <summary>A source partition (topic and partition) whose device state is snapshotted, restored or dropped as one.</summary>
/// <param name="Topic">The events topic.</param>
/// <param name="Partition">The partition number.</param>
public readonly record struct SourcePartition(string Topic, int Partition);

/// <summary>What <see cref="RuleEngine.RestorePartition"/> took from a snapshot.</summary>
/// <param name="Devices">Devices whose rule state was restored.</param>
/// <param name="DroppedRuleStates">Rule states left out because their rule (id and version) is no longer in the rule set.</param>
public readonly record struct RestoreResult(int Devices, int DroppedRuleStates);

/// <summary>
/// Snapshots of the matcher's state by source partition, the unit of ownership when instances share the events
/// topic: a partition's devices are written together, restored on the instance that is assigned the partition,
/// and dropped by the one it was revoked from. Events still waiting for the watermark are not part of a snapshot:
/// they are read again from Kafka, from <see cref="OldestPendingOffsets"/> on.
/// </summary>
public sealed partial class RuleEngine
{
    // 2: format 1 followed by the sequence rules' section (RuleEngine.SequenceCheckpoint.cs); 1 is still read
    private const int SnapshotFormat = 2;

    /// <summary>
    /// The oldest Kafka offset of the events still waiting for the watermark, by source partition; a partition
    /// with none waiting is absent. Replaying a partition from its offset rebuilds exactly what a snapshot leaves out.
    /// </summary>
    public IReadOnlyDictionary<SourcePartition, long> OldestPendingOffsets()
    {
        var oldest = new Dictionary<SourcePartition, long>();
        foreach (var (e, _) in _pending.UnorderedItems)
        {
            if (e.Offset < 0)
            {
                continue;
            }

            var key = new SourcePartition(e.Topic, e.Partition);
            if (!oldest.TryGetValue(key, out var offset) || e.Offset < offset)
            {
                oldest[key] = e.Offset;
            }
        }

        return oldest;
    }

    /// <summary>
    /// Writes the rule state of every device of each of <paramref name="partitions"/> in one pass over the
    /// devices: one snapshot per partition (a partition without device state gets an empty snapshot).
    /// </summary>
    public IReadOnlyDictionary<SourcePartition, byte[]> SnapshotPartitions(IEnumerable<SourcePartition> partitions)
    {
        ArgumentNullException.ThrowIfNull(partitions);
        var writers = new Dictionary<SourcePartition, (MemoryStream Stream, BinaryWriter Writer, int Count)>();
        foreach (var partition in partitions)
        {
            if (!writers.ContainsKey(partition))
            {
                var stream = new MemoryStream();
                var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
                writer.Write(SnapshotFormat);
                writer.Write(0); // device count, patched below
                writers[partition] = (stream, writer, 0);
            }
        }

        List<DeviceState>? emptied = null;
        foreach (var dev in _devices.Values)
        {
            var key = new SourcePartition(dev.Topic, dev.Partition);
            if (!writers.TryGetValue(key, out var w))
            {
                continue;
            }

            if (dev.Epoch != _epoch && !CatchUp(dev))
            {
                (emptied ??= []).Add(dev); // held only states of rules that are gone: nothing to write
                continue;
            }

            WriteDevice(w.Writer, dev);
            writers[key] = (w.Stream, w.Writer, w.Count + 1);
        }

        foreach (var dev in emptied ?? [])
        {
            _devices.Remove(dev.DeviceId);
            _pool.Return(dev);
        }

        var snapshots = new Dictionary<SourcePartition, byte[]>(writers.Count);
        foreach (var (key, w) in writers)
        {
            WriteSequenceSection(w.Writer, key);
            w.Writer.Flush();
            var bytes = w.Stream.ToArray();
            BitConverter.TryWriteBytes(bytes.AsSpan(4, 4), w.Count);
            w.Writer.Dispose();
            w.Stream.Dispose();
            snapshots[key] = bytes;
        }

        return snapshots;
    }

    /// <summary>
    /// Restores the device state of <paramref name="partition"/> from a snapshot written by
    /// <see cref="SnapshotPartitions"/> (possibly by another instance, or under an older rule set). A rule state
    /// is restored when its rule, same id and version, is still in the rule set; otherwise it is dropped and counted.
    /// The devices' timers are re-armed; a device that already holds state here keeps it.
    /// </summary>
    /// <exception cref="InvalidDataException">The snapshot is not in a known format or is cut short.</exception>
    public RestoreResult RestorePartition(SourcePartition partition, byte[] snapshot)
    {
        ArgumentNullException.ThrowIfNull(snapshot);
        var byRule = new Dictionary<(string Id, int Version), int>();
        for (var i = 0; i < Rules.Rules.Count; i++)
        {
            byRule[(Rules.Rules[i].Id, Rules.Rules[i].Version)] = i;
        }

        using var reader = new BinaryReader(new MemoryStream(snapshot, writable: false), Encoding.UTF8);
        var added = new List<DeviceState>();
        try
        {
            var format = reader.ReadInt32();
            if (format is not (1 or SnapshotFormat))
            {
                throw new InvalidDataException($"rule engine snapshot format {format} is not known (expected {SnapshotFormat})");
            }

            var devices = reader.ReadInt32();
            var restored = 0;
            var dropped = 0;
            for (var d = 0; d < devices; d++)
            {
                var deviceId = reader.ReadString();
                var dev = _pool.RentDevice(deviceId, partition.Topic, partition.Partition);
                dev.Epoch = _epoch;
                var ruleStates = reader.ReadInt32();
                for (var r = 0; r < ruleStates; r++)
                {
                    var ruleId = reader.ReadString();
                    var version = reader.ReadInt32();
                    if (!ReadRuleState(reader, dev, byRule.TryGetValue((ruleId, version), out var index) ? index : -1))
                    {
                        dropped++;
                    }
                }

                if (dev.SlotCount == 0 || _devices.ContainsKey(deviceId))
                {
                    _pool.Return(dev);
                    continue;
                }

                _devices[deviceId] = dev;
                added.Add(dev);
                Settle(dev);
                restored++;
            }

            if (format >= 2)
            {
                var (sequenceDevices, sequenceDropped) = ReadSequenceSection(reader, partition);
                restored += sequenceDevices;
                dropped += sequenceDropped;
            }

            return new RestoreResult(restored, dropped);
        }
        catch (Exception ex) when (ex is EndOfStreamException or InvalidDataException)
        {
            // a snapshot is restored whole or not at all
            foreach (var dev in added)
            {
                _devices.Remove(dev.DeviceId);
                _pool.Return(dev);
            }

            throw ex as InvalidDataException ?? new InvalidDataException("rule engine snapshot is cut short", ex);
        }
    }

    /// <summary>
    /// Drops the device state and the waiting events of <paramref name="partition"/> (revoked or lost): its new
    /// owner rebuilds them from the partition's snapshot and Kafka. Returns the devices dropped.
    /// </summary>
    public int RemovePartition(SourcePartition partition)
    {
        var doomed = new List<DeviceState>();
        foreach (var dev in _devices.Values)
        {
            if (dev.Partition == partition.Partition && dev.Topic == partition.Topic)
            {
                doomed.Add(dev);
            }
        }

        foreach (var dev in doomed)
        {
            _devices.Remove(dev.DeviceId);
            _pool.Return(dev);
        }

        var doomedSequences = RemoveSequencePartition(partition, doomed.Select(d => d.DeviceId).ToHashSet(StringComparer.Ordinal));

        var kept = new List<(DeviceEvent, PendingKey)>(_pending.Count);
        var any = false;
        foreach (var (e, priority) in _pending.UnorderedItems)
        {
            if (e.Partition == partition.Partition && e.Topic == partition.Topic)
            {
                any = true;
            }
            else
            {
                kept.Add((e, priority));
            }
        }

        if (any)
        {
            _pending.Clear();
            _pending.EnqueueRange(kept);
        }

        return doomed.Count + doomedSequences;
    }

    private void WriteDevice(BinaryWriter w, DeviceState dev)
    {
        w.Write(dev.DeviceId);
        w.Write(dev.SlotCount);
        for (var i = 0; i < dev.SlotCount; i++)
        {
            ref var s = ref dev.Slots[i];
            var rule = _rules[s.Rule];
            w.Write(rule.Id);
            w.Write(rule.Version);
            WriteRuleState(w, ref s);
        }
    }

    // One rule state without its rule's id and version (what ReadRuleState reads).
    private void WriteRuleState(BinaryWriter w, ref RuleSlot s)
    {
        var rule = _rules[s.Rule];
        w.Write(s.Count);
        for (var k = 0; k < s.Count; k++)
        {
            var c = s.Candidates![k];
            w.Write(c.Time);
            w.Write(c.Id);
            w.Write(c.Mask);
        }

        // format 1 has both times: a pattern rule never sets a trigger time (0), an absence rule never voids
        var absent = rule.Operator == PatternOperator.Absent;
        w.Write(absent ? long.MinValue : s.VoidBefore);
        w.Write(s.Pending);
        w.Write(absent ? s.TriggerTime : 0L);
        w.Write(s.TriggerId is not null);
        if (s.TriggerId is not null)
        {
            w.Write(s.TriggerId);
        }

        w.Write(s.OpenCount);
        for (var k = 0; k < s.OpenCount; k++)
        {
            var o = s.Open![k];
            w.Write(o.AlertId);
            w.Write(o.FaultTime);
            w.Write(o.AlertTime);
        }
    }

    // Reads one rule state into a new slot of `dev`; false (after reading it, without keeping a slot) when its
    // rule is gone (rule index -1) or it holds nothing.
    private bool ReadRuleState(BinaryReader r, DeviceState dev, int ruleIndex)
    {
        var count = r.ReadInt32();
        if (count < 0)
        {
            throw new InvalidDataException($"rule engine snapshot holds a negative candidate count ({count})");
        }

        var candidates = new (long Time, string Id, int Mask)[count];
        for (var k = 0; k < count; k++)
        {
            candidates[k] = (r.ReadInt64(), r.ReadString(), r.ReadInt32());
        }

        var voidBefore = r.ReadInt64();
        var pending = r.ReadBoolean();
        var triggerTime = r.ReadInt64();
        var trigger = r.ReadBoolean() ? r.ReadString() : null;
        if (pending && trigger is null)
        {
            throw new InvalidDataException("rule engine snapshot holds a pending absence timer without its trigger event");
        }

        var open = r.ReadInt32();
        var alerts = new (string AlertId, long Fault, long At)[Math.Max(0, open)];
        for (var k = 0; k < open; k++)
        {
            alerts[k] = (r.ReadString(), r.ReadInt64(), r.ReadInt64());
        }

        // a timer is pending exactly when its trigger event is known
        trigger = pending ? trigger : null;
        var empty = count == 0 && trigger is null && alerts.Length == 0;
        if (ruleIndex < 0 || empty)
        {
            return false;
        }

        if (count > 0 && trigger is not null)
        {
            // one rule buffers partial matches (pattern) or runs a timer (absence), never both
            throw new InvalidDataException("rule engine snapshot holds a rule state with both partial matches and an absence timer");
        }

        var si = dev.Create(_pool, ruleIndex);
        ref var s = ref dev.Slots[si];
        foreach (var (time, id, mask) in candidates)
        {
            s.Add(_pool, time, id, mask);
        }

        s.Mark = _rules[ruleIndex].Operator == PatternOperator.Absent ? triggerTime : voidBefore;
        if (trigger is not null)
        {
            s.TriggerId = trigger;
        }

        foreach (var (alertId, fault, at) in alerts)
        {
            s.AddOpen(alertId, fault, at);
        }

        return true;
    }
}
