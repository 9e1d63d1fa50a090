using System.Text;
using Alerting.Events;
using Alerting.Rules;

namespace Alerting.Rules.Tests.Reference;

/// <summary>
/// Snapshots of the matcher's state by source partition, the unit of ownership when instances share the events
/// topic: a partition's devices are written together, restored on the instance that is assigned the partition,
/// and dropped by the one it was revoked from. Events still waiting for the watermark are not part of a snapshot:
/// they are read again from Kafka, from <see cref="OldestPendingOffsets"/> on.
/// </summary>
internal sealed partial class ReferenceEngine
{
    private const int SnapshotFormat = 1;

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

        foreach (var dev in _devices.Values)
        {
            var key = new SourcePartition(dev.Topic, dev.Partition);
            if (!writers.TryGetValue(key, out var w))
            {
                continue;
            }

            WriteDevice(w.Writer, dev);
            writers[key] = (w.Stream, w.Writer, w.Count + 1);
        }

        var snapshots = new Dictionary<SourcePartition, byte[]>(writers.Count);
        foreach (var (key, w) in writers)
        {
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
        try
        {
            var format = reader.ReadInt32();
            // format 2 (the engine's) is format 1 followed by the sequence rules' section, which the reference
            // matcher has none of: it must be empty
            if (format is not (SnapshotFormat or 2))
            {
                throw new InvalidDataException($"rule engine snapshot format {format} is not known (expected {SnapshotFormat})");
            }

            var devices = reader.ReadInt32();
            var restored = 0;
            var dropped = 0;
            for (var d = 0; d < devices; d++)
            {
                var deviceId = reader.ReadString();
                var dev = new DeviceState(deviceId, partition.Topic, partition.Partition);
                var ruleStates = reader.ReadInt32();
                for (var r = 0; r < ruleStates; r++)
                {
                    var ruleId = reader.ReadString();
                    var version = reader.ReadInt32();
                    var state = ReadRuleState(reader, byRule.TryGetValue((ruleId, version), out var index) ? index : -1);
                    if (state is null)
                    {
                        dropped++;
                        continue;
                    }

                    dev.Attach(state);
                }

                if (dev.RuleCount == 0 || _devices.ContainsKey(deviceId))
                {
                    continue;
                }

                _devices[deviceId] = dev;
                Settle(dev);
                restored++;
            }

            if (format == 2 && reader.ReadInt32() != 0)
            {
                throw new InvalidDataException("the reference matcher has no sequence rules to restore");
            }

            return new RestoreResult(restored, dropped);
        }
        catch (EndOfStreamException ex)
        {
            throw new InvalidDataException("rule engine snapshot is cut short", ex);
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
            dev.Removed = true;
        }

        var kept = new List<(DeviceEvent, DeviceEvent)>(_pending.Count);
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

        return doomed.Count;
    }

    /// <summary>Devices that hold rule state.</summary>
    public IEnumerable<string> DeviceIds() => _devices.Keys;

    /// <summary>One device's rule state as a snapshot writes it.</summary>
    public byte[] SnapshotDevice(string deviceId)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true))
        {
            WriteDevice(writer, _devices[deviceId]);
        }

        return stream.ToArray();
    }

    private void WriteDevice(BinaryWriter w, DeviceState dev)
    {
        w.Write(dev.DeviceId);
        w.Write(dev.RuleCount);
        for (var i = 0; i < dev.RuleCount; i++)
        {
            var s = dev.Rules[i];
            var rule = Rules.Rules[s.RuleIndex];
            w.Write(rule.Id);
            w.Write(rule.Version);
            w.Write(s.Count);
            for (var k = 0; k < s.Count; k++)
            {
                var c = s.Candidates![k];
                w.Write(c.Time);
                w.Write(c.Id);
                w.Write(c.Mask);
            }

            w.Write(s.VoidBefore);
            w.Write(s.Pending);
            w.Write(s.TriggerTime);
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
    }

    // Reads one rule state; null (after reading it) when its rule is gone.
    private static RuleState? ReadRuleState(BinaryReader r, int ruleIndex)
    {
        var s = new RuleState(ruleIndex);
        var count = r.ReadInt32();
        for (var k = 0; k < count; k++)
        {
            var time = r.ReadInt64();
            var id = r.ReadString();
            var mask = r.ReadInt32();
            s.Add(time, id, mask);
        }

        s.VoidBefore = r.ReadInt64();
        s.Pending = r.ReadBoolean();
        s.TriggerTime = r.ReadInt64();
        s.TriggerId = r.ReadBoolean() ? r.ReadString() : null;
        var open = r.ReadInt32();
        for (var k = 0; k < open; k++)
        {
            var alertId = r.ReadString();
            var fault = r.ReadInt64();
            var at = r.ReadInt64();
            s.AddOpen(alertId, fault, at);
        }

        return ruleIndex < 0 || s.IsEmpty ? null : s;
    }
}
