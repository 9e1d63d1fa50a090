namespace Alerting.Rules;

/// <summary>
/// A sequence rule's state handed from one engine to another (<see cref="ExportRuleState"/>, <see cref="ImportRuleState"/>):
/// the same envelope as the other operators' (format, rule id and version, then per device its id and source partition),
/// each device's state being what a checkpoint's sequence section holds for the rule: its partial matches, with the
/// events and captured values they took, and its open alerts.
/// </summary>
public sealed partial class RuleEngine
{
    private bool IsSequenceRule(int index) => _rules[index].Sequence is not null;

    private byte[] ExportSequenceRuleState(string ruleId, int version)
    {
        SequenceMatchers();
        var holding = new List<(SequenceDevice Device, SequenceState State)>();
        foreach (var dev in _sequenceDevices.Values)
        {
            foreach (var st in dev.States)
            {
                if (st.RuleVersion == version && string.Equals(st.RuleId, ruleId, StringComparison.Ordinal) && !st.IsEmpty)
                {
                    holding.Add((dev, st));
                    break;
                }
            }
        }

        return WriteExport(ruleId, version, holding, h => (h.Device.DeviceId, h.Device.Topic, h.Device.Partition), (w, h) => WriteSequenceState(w, h.State));
    }

    // Reads the devices' states (all of them, so a bad blob changes nothing), then takes them in.
    private RuleStateImport ImportSequenceRuleState(BinaryReader reader, string ruleId, int version)
    {
        SequenceMatchers();
        var matcher = _sequenceByRule[(ruleId, version)];
        var devices = reader.ReadInt32();
        var read = new List<(string DeviceId, string Topic, int Partition, SequenceState State)>(Math.Max(0, devices));
        for (var d = 0; d < devices; d++)
        {
            var (deviceId, topic, partition) = (reader.ReadString(), reader.ReadString(), reader.ReadInt32());
            var st = ReadSequenceState(reader, ruleId, version);
            CheckFits(st, matcher);
            read.Add((deviceId, topic, partition, st));
        }

        var taken = 0;
        var fresh = 0;
        foreach (var (deviceId, topic, partition, st) in read)
        {
            if (st.IsEmpty)
            {
                continue;
            }

            st.Matcher = matcher;
            st.ResolvedFor = _sequencesOf;
            if (_sequenceDevices.TryGetValue(deviceId, out var dev))
            {
                if (dev.States.Any(held => held.RuleVersion == version && string.Equals(held.RuleId, ruleId, StringComparison.Ordinal) && !held.IsEmpty))
                {
                    throw new InvalidOperationException($"device '{deviceId}' already holds a state of rule '{ruleId}' v{version}");
                }
            }
            else
            {
                dev = new SequenceDevice(deviceId, topic, partition);
                _sequenceDevices[deviceId] = dev;
                fresh += _devices.ContainsKey(deviceId) ? 0 : 1;
            }

            dev.States.Add(st);
            SettleSequences(dev);
            taken++;
        }

        return new RuleStateImport(taken, fresh);
    }
}
