using System.Globalization;
using System.Text;

namespace Alerting.Reliability;

/// <summary>
/// The known input: for each device of a scenario one pair of faults (101 then 102, half a second apart in event
/// time) that the shipped rule <c>ab</c> (fault-pair) turns into exactly one FAULT_PAIR alert and one dispatch,
/// and heartbeats on other devices of every partition that move the watermarks on. Nothing else matches a rule,
/// so the expected output is known by hand: one Generate and one dispatch per pair device, nothing else.
/// </summary>
public sealed class Traffic(Rig rig, string topic, string scenario)
{
    /// <summary>Devices of the filler: <see cref="ProduceFiller"/> produces one heartbeat on each.</summary>
    public const int FillerDevices = 64;
    private readonly List<(string Device, DateTime Produced)> _pairs = [];
    private long _fillerSeq;

    /// <summary>Devices whose pair was produced, with the wall clock when its second event was handed to the producer.</summary>
    public IReadOnlyList<(string Device, DateTime Produced)> Pairs => _pairs;

    /// <summary>The devices of this scenario's pairs start here (far from the filler devices).</summary>
    public int DeviceBase { get; init; } = 100_000;

    public static string Event(string kind, int? code, DateTimeOffset at, string id, string device) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{{\"Message\":\"{kind}\",\"Param\":{{{(code is { } c ? $"\"ErrCode\":{c}," : "")}\"Timestamp\":\"{at.UtcDateTime:yyyy-MM-ddTHH:mm:ss.fffZ}\",\"ID\":\"{id}\"}},\"DeviceNumber\":{device}}}");

    /// <summary>The two events of device number <paramref name="n"/>'s pair at <paramref name="at"/>.</summary>
    public (string Device, string A, string B) Pair(int n, DateTimeOffset at)
    {
        var device = (DeviceBase + n).ToString(CultureInfo.InvariantCulture);
        return (device,
            Event("Fault", 101, at, $"{scenario}-{device}-a", device),
            Event("Fault", 102, at.AddMilliseconds(500), $"{scenario}-{device}-b", device));
    }

    /// <summary>Produces pair <paramref name="n"/> with the wall clock as event time.</summary>
    public void ProducePair(int n)
    {
        var (device, a, b) = Pair(n, DateTimeOffset.UtcNow.AddMilliseconds(-500));
        rig.Produce(topic, device, Encoding.UTF8.GetBytes(a));
        rig.Produce(topic, device, Encoding.UTF8.GetBytes(b));
        _pairs.Add((device, DateTime.UtcNow));
    }

    /// <summary>Records a pair produced by other means (the disorder scenario) as expected.</summary>
    public void Expect(string device) => _pairs.Add((device, DateTime.UtcNow));

    /// <summary>One heartbeat on every filler device, at the wall clock (moves every partition's watermark).</summary>
    public void ProduceFiller()
    {
        var now = DateTimeOffset.UtcNow;
        for (var d = 0; d < FillerDevices; d++)
        {
            var device = (9_000_000 + d).ToString(CultureInfo.InvariantCulture);
            var seq = Interlocked.Increment(ref _fillerSeq);
            rig.Produce(topic, device, Encoding.UTF8.GetBytes(Event("Heartbeat", null, now, $"{scenario}-hb-{seq}", device)));
        }
    }

    /// <summary>
    /// Produces <paramref name="pairsPerSecond"/> pairs a second (numbered from <paramref name="first"/>) and the filler
    /// every 200 ms, until <paramref name="cancellationToken"/>; returns the next pair number.
    /// </summary>
    public async Task<int> RunAsync(int first, int pairsPerSecond, CancellationToken cancellationToken)
    {
        var n = first;
        var started = DateTime.UtcNow;
        var tick = 0;
        while (!cancellationToken.IsCancellationRequested)
        {
            var due = (int)((DateTime.UtcNow - started).TotalSeconds * pairsPerSecond) + first;
            while (n < due)
            {
                ProducePair(n++);
            }

            if (tick++ % 4 == 0)
            {
                ProduceFiller();
            }

            try
            {
                await Task.Delay(50, cancellationToken);
            }
            catch (OperationCanceledException)
            {
                break;
            }
        }

        rig.Producer.Flush(TimeSpan.FromSeconds(30));
        return n;
    }

    /// <summary>Filler only, for <paramref name="duration"/>: lets every watermark pass what was produced.</summary>
    public async Task DrainAsync(TimeSpan duration, CancellationToken cancellationToken)
    {
        var end = DateTime.UtcNow + duration;
        while (DateTime.UtcNow < end)
        {
            ProduceFiller();
            await Task.Delay(200, cancellationToken);
        }

        rig.Producer.Flush(TimeSpan.FromSeconds(30));
    }
}
