using Alerting.Events;

namespace Alerting.Rules;

/// <summary>
/// The sequence rules' part of a partition snapshot. Format 2 is format 1 (the other operators' device states)
/// followed by this section; a format-1 snapshot is read as one whose section is empty (it was written before
/// sequence rules existed), so every stored checkpoint still restores.
/// <code>
/// int devices; per device: string id, int states;
///   per state: string rule id, int version, long events seen, int partial matches;
///     per partial match: int step, int count, bool complete, int events (string id, long time, long seq, int step),
///                        int captures (byte type, then long | double | string by type);
///   int open alerts (string alert id, long fault time, long alert time)
/// </code>
/// </summary>
public sealed partial class RuleEngine
{
    private void WriteSequenceSection(BinaryWriter w, SourcePartition partition)
    {
        var devices = _sequenceDevices.Values.Where(d => d.Partition == partition.Partition && d.Topic == partition.Topic).ToList();
        w.Write(devices.Count);
        foreach (var dev in devices)
        {
            w.Write(dev.DeviceId);
            w.Write(dev.States.Count);
            foreach (var st in dev.States)
            {
                w.Write(st.RuleId);
                w.Write(st.RuleVersion);
                WriteSequenceState(w, st);
            }
        }
    }

    // One rule's state of a device, after its rule id and version: what ReadSequenceState reads.
    private static void WriteSequenceState(BinaryWriter w, SequenceState st)
    {
        w.Write(st.Seq);
        w.Write(st.Runs.Count);
        foreach (var run in st.Runs)
        {
            w.Write(run.Stage);
            w.Write(run.Count);
            w.Write(run.Complete);
            w.Write(run.Events.Count);
            foreach (var e in run.Events)
            {
                w.Write(e.Id);
                w.Write(e.Time);
                w.Write(e.Seq);
                w.Write(e.Step);
            }

            w.Write(run.Captures.Length);
            foreach (var v in run.Captures)
            {
                WriteValue(w, v);
            }
        }

        w.Write(st.Open.Count);
        foreach (var o in st.Open)
        {
            w.Write(o.AlertId);
            w.Write(o.FaultTime);
            w.Write(o.AlertTime);
        }
    }

    // Reads the section, then (all of it read) puts it into the engine; returns (devices restored that hold no other
    // state here, states dropped).
    private (int Devices, int Dropped) ReadSequenceSection(BinaryReader r, SourcePartition partition)
    {
        SequenceMatchers();
        var devices = r.ReadInt32();
        var restored = 0;
        var dropped = 0;
        var read = new List<SequenceDevice>();
        for (var d = 0; d < devices; d++)
        {
            var deviceId = r.ReadString();
            var dev = new SequenceDevice(deviceId, partition.Topic, partition.Partition);
            var states = r.ReadInt32();
            for (var s = 0; s < states; s++)
            {
                var st = ReadSequenceState(r, r.ReadString(), r.ReadInt32());
                if (Resolve(st) is not { } matcher || st.IsEmpty)
                {
                    dropped++;
                    continue;
                }

                CheckFits(st, matcher);

                dev.States.Add(st);
            }

            read.Add(dev);
        }

        foreach (var dev in read)
        {
            if (dev.States.Count == 0 || _sequenceDevices.ContainsKey(dev.DeviceId))
            {
                continue;
            }

            _sequenceDevices[dev.DeviceId] = dev;
            SettleSequences(dev);
            restored += _devices.ContainsKey(dev.DeviceId) ? 0 : 1;
        }

        return (restored, dropped);
    }

    private static void CheckFits(SequenceState st, SequenceMatcher matcher)
    {
        if (st.Runs.Any(run => run.Captures.Length != matcher.Rule.Sequence!.CaptureCount || run.Stage >= matcher.Rule.Sequence.Steps.Length))
        {
            throw new InvalidDataException($"rule engine snapshot holds a partial match of rule '{st.RuleId}' that does not fit its steps");
        }
    }

    private static SequenceState ReadSequenceState(BinaryReader r, string ruleId, int version)
    {
        var st = new SequenceState(ruleId, version) { Seq = r.ReadInt64() };
        var runs = Count(r, "partial matches");
        for (var i = 0; i < runs; i++)
        {
            var run = new SequenceRun { Stage = r.ReadInt32(), Count = r.ReadInt32(), Complete = r.ReadBoolean() };
            var events = Count(r, "matched events");
            if (events == 0)
            {
                throw new InvalidDataException("rule engine snapshot holds a partial match without events");
            }

            for (var k = 0; k < events; k++)
            {
                run.Events.Add(new TakenEvent(r.ReadString(), r.ReadInt64(), r.ReadInt64(), r.ReadInt32()));
            }

            var captures = new FieldValue[Count(r, "captured values")];
            for (var k = 0; k < captures.Length; k++)
            {
                captures[k] = ReadValue(r);
            }

            st.Runs.Add(new SequenceRun { Stage = run.Stage, Count = run.Count, Complete = run.Complete, Events = run.Events, Captures = captures });
        }

        var open = Count(r, "open alerts");
        for (var k = 0; k < open; k++)
        {
            st.Open.Add(new SequenceOpenAlert(r.ReadString(), r.ReadInt64(), r.ReadInt64()));
        }

        return st;
    }

    private static int Count(BinaryReader r, string what)
    {
        var n = r.ReadInt32();
        return n >= 0 ? n : throw new InvalidDataException($"rule engine snapshot holds a negative count of {what} ({n})");
    }

    private static void WriteValue(BinaryWriter w, FieldValue v)
    {
        w.Write((byte)v.Type);
        switch (v.Type)
        {
            case FieldType.Missing:
                break;
            case FieldType.Number:
                w.Write(v.Double);
                break;
            case FieldType.String:
                w.Write(v.String!);
                break;
            default:
                w.Write(v.Long);
                break;
        }
    }

    private static FieldValue ReadValue(BinaryReader r)
    {
        var type = (FieldType)r.ReadByte();
        return type switch
        {
            FieldType.Missing => FieldValue.Missing,
            FieldType.Integer => FieldValue.FromInteger(r.ReadInt64()),
            FieldType.Number => FieldValue.FromNumber(r.ReadDouble()),
            FieldType.String => FieldValue.FromString(r.ReadString()),
            FieldType.Boolean => FieldValue.FromBoolean(r.ReadInt64() != 0),
            FieldType.Timestamp => FieldValue.FromTimestamp(r.ReadInt64()),
            _ => throw new InvalidDataException($"rule engine snapshot holds a value of unknown type {(byte)type}"),
        };
    }

    // Drops the sequence state of a partition that was revoked or lost; returns the devices dropped that are not
    // among `counted` (those dropped with other state).
    private int RemoveSequencePartition(SourcePartition partition, HashSet<string> counted)
    {
        var doomed = _sequenceDevices.Values.Where(d => d.Partition == partition.Partition && d.Topic == partition.Topic).ToList();
        foreach (var dev in doomed)
        {
            dev.Removed = true;
            _sequenceDevices.Remove(dev.DeviceId);
        }

        return doomed.Count(d => !counted.Contains(d.DeviceId));
    }
}
