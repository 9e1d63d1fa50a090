using System.Globalization;
using System.Text;

namespace Alerting.Events;

/// <summary>What <see cref="SeedEventGenerator"/> produces.</summary>
public sealed record SeedEventOptions
{
    /// <summary>Device numbers are drawn from 1 .. Devices.</summary>
    public int Devices { get; init; } = 1000;

    /// <summary>Kinds drawn uniformly (the seed's Message values).</summary>
    public IReadOnlyList<string> Kinds { get; init; } = ["Fault", "Recover", "Alarm", "Run"];

    /// <summary>Error codes drawn uniformly.</summary>
    public IReadOnlyList<int> ErrorCodes { get; init; } = [101, 102, 103, 104, 105, 201, 202, 301];

    /// <summary>Event time of the first record.</summary>
    public DateTimeOffset Start { get; init; } = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    /// <summary>Event time advances by this much per record (before disorder).</summary>
    public TimeSpan Step { get; init; } = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// When set, each record's event time (before disorder) is this clock's current time when the record is
    /// generated, instead of <see cref="Start"/> + n × <see cref="Step"/>: a real-time producer's records carry
    /// the wall clock of their production.
    /// </summary>
    public TimeProvider? Clock { get; init; }

    /// <summary>Each event time is moved back by a random amount up to this (out-of-order arrival).</summary>
    public TimeSpan MaxDisorder { get; init; } = TimeSpan.Zero;

    /// <summary>Share (0..1) of records that are malformed, each with a known <see cref="DecodeError"/>.</summary>
    public double MalformedShare { get; init; }

    /// <summary>Write the timestamp as epoch milliseconds (a JSON number) instead of ISO-8601.</summary>
    public bool EpochMillis { get; init; }

    /// <summary>
    /// Chance (0..1) that a record starts an injected scenario of the shipped rules (see
    /// <see cref="SeedEventGenerator"/>); the scenario's other events take the records that follow. 0 (the
    /// default) injects none and leaves the generated stream exactly as without this option.
    /// </summary>
    public double PatternShare { get; init; }

    /// <summary>First fault code of the fault-pair scenario (the example rule <c>ab</c>'s <c>codeA</c>).</summary>
    public int PairCodeA { get; init; } = 101;

    /// <summary>Second fault code of the fault-pair scenario (<c>ab</c>'s <c>codeB</c>).</summary>
    public int PairCodeB { get; init; } = 102;

    /// <summary>Fault code of the fault-then-alarm scenario (the example rule <c>ca</c>'s <c>code</c>).</summary>
    public int AlarmFaultCode { get; init; } = 103;

    /// <summary>Fault code of the repeated-fault scenario (the example rule <c>t5</c>'s <c>code</c>).</summary>
    public int RepeatCode { get; init; } = 5;

    /// <summary>Faults in one repeated-fault scenario (<c>t5</c>'s <c>count</c>).</summary>
    public int RepeatCount { get; init; } = 3;
}

/// <summary>The scenarios <see cref="SeedEventGenerator"/> injects, one per shipped rule template that matches events.</summary>
public enum SeedPattern
{
    /// <summary>Fault <see cref="SeedEventOptions.PairCodeA"/>, then Fault <see cref="SeedEventOptions.PairCodeB"/> (fault-pair).</summary>
    FaultPair,

    /// <summary>Fault <see cref="SeedEventOptions.AlarmFaultCode"/>, then an Alarm (fault-then-alarm).</summary>
    FaultThenAlarm,

    /// <summary><see cref="SeedEventOptions.RepeatCount"/> Faults of <see cref="SeedEventOptions.RepeatCode"/> (threshold).</summary>
    RepeatedFault,
}

/// <summary>One generated record: Kafka key and value, and what a decoder should make of it.</summary>
/// <param name="Key">The device number as UTF-8 text (the Kafka key).</param>
/// <param name="Value">The record value: seed-shaped JSON, or a malformed variant.</param>
/// <param name="DeviceNumber">The device the record is about.</param>
/// <param name="EventTime">The event time written into the record (Unix ms).</param>
/// <param name="Malformation">Null for a good record; otherwise the reason the default source's decoder gives.</param>
public sealed record SeedRecord(byte[] Key, byte[] Value, int DeviceNumber, long EventTime, DecodeError? Malformation);

/// <summary>
/// A reproducible source of seed-shaped device events —
/// <c>{"Message":"Fault","Param":{"ErrCode":101,"Timestamp":"2026-11-22T08:00:00.000Z","ID":"…"},"DeviceNumber":42}</c>,
/// about 140 bytes — for the demo, tests and benchmarks. The same seed and options give the same records.
/// Optionally a share of records is malformed, cycling through reasons the default <see cref="SourceDefinition"/>
/// must reject (not JSON, truncated, empty, binary, wrong type, missing device, missing or bad timestamp,
/// bad number, too deep). Not thread-safe.
/// <para>
/// With <see cref="SeedEventOptions.PatternShare"/> above 0 it also injects the shipped rules' scenarios
/// (<see cref="SeedPattern"/>, taken in turn): fault A then fault B, fault C then an Alarm, and N faults of one
/// code. Each scenario gets a device of its own, numbered above <see cref="SeedEventOptions.Devices"/>
/// (<c>Devices + 1</c>, <c>Devices + 2</c>, … in order), which the background never uses, and its events take
/// consecutive records, never malformed, at the records' own times (Start + n × Step, or the clock's) except that each
/// event but the last is moved back by one millisecond per event after it, so a scenario's event times strictly
/// increase even when records share a millisecond (that small disorder is far inside any watermark bound). A
/// scenario spans about (events − 1) × Step of event time, so Step must keep it inside the rules' windows. No Run or
/// Recover ever reaches a scenario's device, so each completed scenario raises exactly one alert of its rule
/// and no revoke; <see cref="Injected"/> counts the completed scenarios.
/// </para>
/// </summary>
public sealed class SeedEventGenerator
{
    private static readonly DecodeError[] Malformations =
    [
        DecodeError.NotJson, DecodeError.Truncated, DecodeError.Empty, DecodeError.InvalidUtf8, DecodeError.WrongType,
        DecodeError.MissingDeviceId, DecodeError.MissingTimestamp, DecodeError.BadTimestamp, DecodeError.BadNumber,
        DecodeError.TooDeep,
    ];

    private readonly Random _random;
    private readonly SeedEventOptions _options;
    private readonly byte[] _guid = new byte[16];
    private readonly Queue<(string Kind, int Code)> _scenario = new();
    private readonly long[] _injected = new long[3];
    private SeedPattern _scenarioPattern;
    private int _scenarioDevice;
    private int _patternDevices;
    private long _sequence;
    private int _malformed;

    public SeedEventGenerator(int seed, SeedEventOptions? options = null)
    {
        _random = new Random(seed);
        _options = options ?? new SeedEventOptions();
        if (_options.Devices < 1 || _options.Kinds.Count == 0 || _options.ErrorCodes.Count == 0)
        {
            throw new ArgumentException("devices, kinds and error codes must not be empty", nameof(options));
        }

        if (_options.PatternShare is < 0 or > 1 || double.IsNaN(_options.PatternShare) || _options.RepeatCount < 1)
        {
            throw new ArgumentException("pattern share must be within 0..1 and repeat count at least 1", nameof(options));
        }
    }

    /// <summary>Completed scenarios of every kind so far: one alert each is expected from the shipped rules.</summary>
    public long PatternsInjected => _injected[0] + _injected[1] + _injected[2];

    /// <summary>Completed fault-pair scenarios so far (alerts expected of the rule <c>ab</c>).</summary>
    public long PairsInjected => _injected[(int)SeedPattern.FaultPair];

    /// <summary>Completed fault-then-alarm scenarios so far (alerts expected of the rule <c>ca</c>).</summary>
    public long FaultAlarmsInjected => _injected[(int)SeedPattern.FaultThenAlarm];

    /// <summary>Completed repeated-fault scenarios so far (alerts expected of the rule <c>t5</c>).</summary>
    public long RepeatsInjected => _injected[(int)SeedPattern.RepeatedFault];

    /// <summary>Completed scenarios of one kind so far.</summary>
    public long Injected(SeedPattern pattern) => _injected[(int)pattern];

    /// <summary>
    /// Devices given to scenarios so far, numbered <c>Devices + 1</c> … <c>Devices + PatternDevices</c> (one more
    /// than <see cref="PatternsInjected"/> while a scenario is still being emitted).
    /// </summary>
    public int PatternDevices => _patternDevices;

    /// <summary>The next record.</summary>
    public SeedRecord Next()
    {
        if (_options.PatternShare > 0)
        {
            if (_scenario.Count == 0 && _random.NextDouble() < _options.PatternShare)
            {
                StartScenario();
            }

            if (_scenario.Count > 0)
            {
                return NextScenarioRecord();
            }
        }

        var device = _random.Next(1, _options.Devices + 1);
        var kind = _options.Kinds[_random.Next(_options.Kinds.Count)];
        var code = _options.ErrorCodes[_random.Next(_options.ErrorCodes.Count)];
        var disorder = _options.MaxDisorder > TimeSpan.Zero ? (long)(_random.NextDouble() * _options.MaxDisorder.TotalMilliseconds) : 0;
        var time = BaseTime() - disorder;
        _random.NextBytes(_guid);
        var id = new Guid(_guid).ToString();
        var malformed = _options.MalformedShare > 0 && _random.NextDouble() < _options.MalformedShare;
        var key = Encoding.UTF8.GetBytes(device.ToString(CultureInfo.InvariantCulture));
        if (!malformed)
        {
            return new SeedRecord(key, Json(kind, code, Timestamp(time), id, device.ToString(CultureInfo.InvariantCulture)), device, time, null);
        }

        var reason = Malformations[_malformed++ % Malformations.Length];
        var ts = Timestamp(time);
        var dev = device.ToString(CultureInfo.InvariantCulture);
        var value = reason switch
        {
            DecodeError.NotJson => Encoding.UTF8.GetBytes($"Fault {code} on device {device}"),
            DecodeError.Truncated => Json(kind, code, ts, id, dev)[..60],
            DecodeError.Empty => [],
            DecodeError.InvalidUtf8 => Binary(),
            DecodeError.WrongType => Json(kind, "\"E" + code + "\"", ts, id, dev),
            DecodeError.MissingDeviceId => Json(kind, code, ts, id, null),
            DecodeError.MissingTimestamp => Json(kind, code, null, id, dev),
            DecodeError.BadTimestamp => Json(kind, code, "\"yesterday at noon\"", id, dev),
            DecodeError.BadNumber => Json(kind, "1e400", ts, id, dev),
            DecodeError.TooDeep => Encoding.UTF8.GetBytes(
                $"{{\"Message\":\"{kind}\",\"Param\":{{\"ErrCode\":{code},\"Timestamp\":{ts},\"Extra\":{new string('[', 40)}{new string(']', 40)}}},\"DeviceNumber\":{dev}}}"),
            _ => throw new InvalidOperationException(reason.ToString()),
        };
        return new SeedRecord(key, value, device, time, reason);
    }

    private void StartScenario()
    {
        _scenarioPattern = (SeedPattern)(_patternDevices % 3);
        _scenarioDevice = _options.Devices + ++_patternDevices;
        switch (_scenarioPattern)
        {
            case SeedPattern.FaultPair:
                _scenario.Enqueue(("Fault", _options.PairCodeA));
                _scenario.Enqueue(("Fault", _options.PairCodeB));
                break;
            case SeedPattern.FaultThenAlarm:
                _scenario.Enqueue(("Fault", _options.AlarmFaultCode));
                _scenario.Enqueue(("Alarm", _options.AlarmFaultCode));
                break;
            default:
                for (var i = 0; i < _options.RepeatCount; i++)
                {
                    _scenario.Enqueue(("Fault", _options.RepeatCode));
                }

                break;
        }
    }

    private SeedRecord NextScenarioRecord()
    {
        var (kind, code) = _scenario.Dequeue();

        // Moved back one millisecond per event still to come: strictly increasing event times even when records
        // share a millisecond, so the order of a sequence is never left to the event ids; the last event (the
        // one that completes the match) keeps its own time.
        var time = BaseTime() - _scenario.Count;
        _random.NextBytes(_guid);
        var device = _scenarioDevice.ToString(CultureInfo.InvariantCulture);
        var record = new SeedRecord(Encoding.UTF8.GetBytes(device), Json(kind, code, Timestamp(time), new Guid(_guid).ToString(), device), _scenarioDevice, time, null);
        if (_scenario.Count == 0)
        {
            _injected[(int)_scenarioPattern]++;
        }

        return record;
    }

    /// <summary>The next <paramref name="count"/> records.</summary>
    public IEnumerable<SeedRecord> Take(int count)
    {
        for (var i = 0; i < count; i++)
        {
            yield return Next();
        }
    }

    /// <summary>The next record's event time before disorder: the clock's, or Start + n × Step.</summary>
    private long BaseTime()
    {
        var n = _sequence++;
        return _options.Clock is { } clock
            ? clock.GetUtcNow().ToUnixTimeMilliseconds()
            : _options.Start.ToUnixTimeMilliseconds() + (long)(n * _options.Step.TotalMilliseconds);
    }

    private string Timestamp(long ms) => _options.EpochMillis
        ? ms.ToString(CultureInfo.InvariantCulture)
        : "\"" + DateTimeOffset.FromUnixTimeMilliseconds(ms).ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture) + "\"";

    private static byte[] Json(string kind, object code, string? timestamp, string id, string? device)
    {
        var sb = new StringBuilder(160);
        sb.Append("{\"Message\":\"").Append(kind).Append("\",\"Param\":{\"ErrCode\":")
            .Append(Convert.ToString(code, CultureInfo.InvariantCulture));
        if (timestamp is not null)
        {
            sb.Append(",\"Timestamp\":").Append(timestamp);
        }

        sb.Append(",\"ID\":\"").Append(id).Append("\"}");
        if (device is not null)
        {
            sb.Append(",\"DeviceNumber\":").Append(device);
        }

        return Encoding.UTF8.GetBytes(sb.Append('}').ToString());
    }

    private byte[] Binary()
    {
        var bytes = new byte[32];
        _random.NextBytes(bytes);
        bytes[0] = 0xFF; // never valid in UTF-8
        return bytes;
    }
}
