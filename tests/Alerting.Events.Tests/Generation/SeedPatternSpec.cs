using System.Security.Cryptography;
using System.Text.Json;

namespace Alerting.Events.Tests.Generation;

public sealed class SeedPatternSpec
{
    private static readonly SeedEventOptions WithPatterns = new()
    {
        Devices = 300,
        MaxDisorder = TimeSpan.FromSeconds(2),
        MalformedShare = 0.02,
        PatternShare = 0.02,
    };

    [Fact]
    public void A_seed_generator_without_patterns_must_keep_the_records_it_always_gave()
    {
        // SHA-256 of the first 5,000 records (key, value, device, time, malformation) of a stream that
        // exercises disorder and malformed records, taken before pattern injection existed.
        const string before = "ed05c124c09fa56d394acef4b9e8cf6555fbe663c41acd0653df11dc9f9645c9";
        var options = new SeedEventOptions { Devices = 500, MaxDisorder = TimeSpan.FromSeconds(2), MalformedShare = 0.05 };
        Assert.Equal(before, Digest(new SeedEventGenerator(42, options).Take(5000)));
        Assert.Equal(before, Digest(new SeedEventGenerator(42, options with { PatternShare = 0 }).Take(5000)));
        Assert.NotEqual(before, Digest(new SeedEventGenerator(42, options with { PatternShare = 0.01 }).Take(5000)));
    }

    [Fact]
    public void A_seed_generator_with_patterns_must_give_the_same_records_and_counts_for_the_same_seed()
    {
        var a = new SeedEventGenerator(3, WithPatterns);
        var b = new SeedEventGenerator(3, WithPatterns);
        var c = new SeedEventGenerator(4, WithPatterns);
        var digestA = Digest(a.Take(20_000));
        Assert.Equal(digestA, Digest(b.Take(20_000)));
        Assert.NotEqual(digestA, Digest(c.Take(20_000)));
        Assert.Equal((a.PairsInjected, a.FaultAlarmsInjected, a.RepeatsInjected), (b.PairsInjected, b.FaultAlarmsInjected, b.RepeatsInjected));
        Assert.True(a.PatternsInjected > 0);
    }

    [Fact]
    public void Injected_scenarios_must_have_devices_of_their_own_and_the_shape_of_their_rule()
    {
        var generator = new SeedEventGenerator(5, WithPatterns);
        var records = generator.Take(30_000).ToList();
        var index = records.Select((r, i) => (r, i)).ToDictionary(x => x.r, x => x.i);
        var byDevice = records.Where(r => r.DeviceNumber > WithPatterns.Devices).GroupBy(r => r.DeviceNumber).ToList();

        // The background keeps to 1..Devices; scenario devices follow Devices in order, one per scenario.
        Assert.All(records.Where(r => r.DeviceNumber <= WithPatterns.Devices), r => Assert.InRange(r.DeviceNumber, 1, WithPatterns.Devices));
        Assert.Equal(Enumerable.Range(WithPatterns.Devices + 1, generator.PatternDevices), byDevice.Select(g => g.Key).Order());

        var shapes = byDevice.Select(g => string.Join(' ', g.Select(r => Describe(r)))).ToList();
        var pair = "Fault:101 Fault:102";
        var alarm = "Fault:103 Alarm:103";
        var repeat = "Fault:5 Fault:5 Fault:5";
        Assert.Equal(generator.PairsInjected, shapes.Count(s => s == pair));
        Assert.Equal(generator.FaultAlarmsInjected, shapes.Count(s => s == alarm));
        Assert.Equal(generator.RepeatsInjected, shapes.Count(s => s == repeat));
        Assert.InRange(generator.PatternDevices - generator.PatternsInjected, 0, 1);

        // Taken in turn, so the kinds differ by at most one; about PatternShare of the records start one.
        var counts = new[] { generator.PairsInjected, generator.FaultAlarmsInjected, generator.RepeatsInjected };
        Assert.InRange(counts.Max() - counts.Min(), 0, 1);
        Assert.InRange(generator.PatternsInjected, 400, 800);

        // A scenario's records are consecutive and never malformed; the last keeps its record's time, each one
        // before it is moved back a millisecond per event after it.
        foreach (var group in byDevice)
        {
            var indexes = group.Select(r => index[r]).ToList();
            Assert.Equal(Enumerable.Range(indexes[0], indexes.Count), indexes);
            Assert.All(group, r => Assert.Null(r.Malformation));
            var expected = indexes.Select((at, k) => WithPatterns.Start.ToUnixTimeMilliseconds() + (at * (long)WithPatterns.Step.TotalMilliseconds) - (indexes.Count - 1 - k));
            Assert.Equal(expected, group.Select(r => r.EventTime));
        }
    }

    [Fact]
    public void Pattern_codes_and_repeat_count_must_come_from_the_options()
    {
        var options = new SeedEventOptions { PatternShare = 1, PairCodeA = 7, PairCodeB = 8, AlarmFaultCode = 9, RepeatCode = 10, RepeatCount = 4 };
        var generator = new SeedEventGenerator(1, options);
        var shapes = generator.Take(8).Select(Describe).ToList();
        Assert.Equal(["Fault:7", "Fault:8", "Fault:9", "Alarm:9", "Fault:10", "Fault:10", "Fault:10", "Fault:10"], shapes);
        Assert.Equal((1, 1, 1), (generator.PairsInjected, generator.FaultAlarmsInjected, generator.RepeatsInjected));
        Assert.Throws<ArgumentException>(() => new SeedEventGenerator(1, options with { PatternShare = 1.5 }));
        Assert.Throws<ArgumentException>(() => new SeedEventGenerator(1, options with { RepeatCount = 0 }));
    }

    [Fact]
    public void A_seed_generator_with_a_clock_must_stamp_each_record_with_the_clock_time()
    {
        var clock = new ManualTimeProvider(new DateTimeOffset(2026, 11, 22, 9, 0, 0, TimeSpan.Zero));
        var generator = new SeedEventGenerator(2, new SeedEventOptions { Clock = clock, PatternShare = 0.5 });
        var times = new List<long>();
        for (var i = 0; i < 50; i++)
        {
            times.Add(generator.Next().EventTime);
            clock.Advance(TimeSpan.FromMilliseconds(i % 3));
        }

        // Background records carry the clock's time; a scenario's events at most a millisecond per event after them earlier.
        var clockTimes = Enumerable.Range(0, 50).Select(i => clock.GetUtcNow().ToUnixTimeMilliseconds() - Enumerable.Range(i, 50 - i).Sum(k => k % 3)).ToList();
        Assert.All(Enumerable.Range(0, 50), i => Assert.InRange(clockTimes[i] - times[i], 0, 2));
        Assert.Contains(Enumerable.Range(0, 50), i => clockTimes[i] == times[i]);
        Assert.True(generator.PatternsInjected > 0);
    }

    private static string Describe(SeedRecord record)
    {
        using var json = JsonDocument.Parse(record.Value);
        var root = json.RootElement;
        return root.GetProperty("Message").GetString() + ":" + root.GetProperty("Param").GetProperty("ErrCode").GetInt32();
    }

    private static string Digest(IEnumerable<SeedRecord> records)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var r in records)
        {
            hash.AppendData(r.Key);
            hash.AppendData(r.Value);
            hash.AppendData(BitConverter.GetBytes(r.DeviceNumber));
            hash.AppendData(BitConverter.GetBytes(r.EventTime));
            hash.AppendData(BitConverter.GetBytes(r.Malformation is null ? -1 : (int)r.Malformation.Value));
        }

        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
