namespace Alerting.Rules.Tests.Reference;

/// <summary>A buffered event of a partial match: just what a match needs, not the event itself.</summary>
internal struct Candidate
{
    public long Time;
    public string Id;
    public int Mask;
}

/// <summary>An alert raised for a device that a later event may revoke.</summary>
internal struct OpenAlert
{
    public string AlertId;
    public long FaultTime;
    public long AlertTime;
}

/// <summary>The state of one rule for one device: partial-match candidates, a pending absence timer, open alerts.</summary>
internal sealed class RuleState(int ruleIndex)
{
    public readonly int RuleIndex = ruleIndex;
    public Candidate[]? Candidates;
    public int Count;
    public long VoidBefore = long.MinValue;
    public bool Pending;
    public long TriggerTime;
    public string? TriggerId;
    public OpenAlert[]? Open;
    public int OpenCount;

    /// <summary>The earliest alert time of the open alerts; <see cref="long.MaxValue"/> when none is open.</summary>
    public long MinOpenAlertTime = long.MaxValue;

    public bool IsEmpty => Count == 0 && !Pending && OpenCount == 0;

    public void Add(long time, string id, int mask)
    {
        Candidates ??= new Candidate[4];
        if (Count == Candidates.Length)
        {
            Array.Resize(ref Candidates, Count * 2);
        }

        // events come in event-time order; a late one is inserted at its place
        var at = Count;
        while (at > 0 && Candidates[at - 1].Time > time)
        {
            at--;
        }

        if (at < Count)
        {
            Array.Copy(Candidates, at, Candidates, at + 1, Count - at);
        }

        Candidates[at] = new Candidate { Time = time, Id = id, Mask = mask };
        Count++;
    }

    /// <summary>Removes the candidates older than <paramref name="time"/>.</summary>
    public void RemoveBefore(long time)
    {
        var k = 0;
        while (k < Count && Candidates![k].Time < time)
        {
            k++;
        }

        if (k == 0)
        {
            return;
        }

        Array.Copy(Candidates!, k, Candidates!, 0, Count - k);
        Array.Clear(Candidates!, Count - k, k);
        Count -= k;
        if (Count == 0)
        {
            Candidates = null;
        }
    }

    public void Clear()
    {
        Count = 0;
        Candidates = null;
        VoidBefore = long.MinValue;
    }

    public void AddOpen(string alertId, long faultTime, long alertTime)
    {
        Open ??= new OpenAlert[1];
        if (OpenCount == Open.Length)
        {
            Array.Resize(ref Open, OpenCount * 2);
        }

        Open[OpenCount++] = new OpenAlert { AlertId = alertId, FaultTime = faultTime, AlertTime = alertTime };
        MinOpenAlertTime = Math.Min(MinOpenAlertTime, alertTime);
    }

    public void ClearOpen()
    {
        Open = null;
        OpenCount = 0;
        MinOpenAlertTime = long.MaxValue;
    }

    public void RemoveOpenUntil(long time)
    {
        if (MinOpenAlertTime > time)
        {
            return;
        }

        var kept = 0;
        var min = long.MaxValue;
        for (var i = 0; i < OpenCount; i++)
        {
            if (Open![i].AlertTime > time)
            {
                min = Math.Min(min, Open[i].AlertTime);
                Open[kept++] = Open[i];
            }
        }

        Array.Clear(Open!, kept, OpenCount - kept);
        OpenCount = kept;
        MinOpenAlertTime = min;
        if (kept == 0)
        {
            Open = null;
        }
    }

    public long EstimateBytes()
    {
        // object header + fields, arrays with their headers; strings are shared with events and alerts
        long bytes = 72;
        if (Candidates is not null)
        {
            bytes += 24 + (24L * Candidates.Length);
        }

        if (Open is not null)
        {
            bytes += 24 + (24L * Open.Length);
        }

        return bytes;
    }
}

/// <summary>All rule states of one device; removed from the engine as soon as it is empty.</summary>
internal sealed class DeviceState(string deviceId, string topic, int partition)
{
    public readonly string DeviceId = deviceId;
    public readonly string Topic = topic;
    public readonly int Partition = partition;
    public RuleState[] Rules = [];
    public int RuleCount;
    public long ScheduledWake = long.MaxValue;
    public bool Removed;

    public RuleState? Find(int ruleIndex)
    {
        for (var i = 0; i < RuleCount; i++)
        {
            if (Rules[i].RuleIndex == ruleIndex)
            {
                return Rules[i];
            }
        }

        return null;
    }

    public RuleState Create(int ruleIndex) => Attach(new RuleState(ruleIndex));

    public RuleState Attach(RuleState s)
    {
        if (RuleCount == Rules.Length)
        {
            Array.Resize(ref Rules, Math.Max(2, RuleCount * 2));
        }

        Rules[RuleCount++] = s;
        return s;
    }

    /// <summary>Drops empty rule states; true when nothing is left.</summary>
    public bool Compact()
    {
        var kept = 0;
        for (var i = 0; i < RuleCount; i++)
        {
            if (!Rules[i].IsEmpty)
            {
                Rules[kept++] = Rules[i];
            }
        }

        Array.Clear(Rules, kept, RuleCount - kept);
        RuleCount = kept;
        return kept == 0;
    }
}
