using System.Text.Json;
using Alerting.Events;
using BenchmarkDotNet.Attributes;

namespace Alerting.Benchmarks.Micro;

/// <summary>
/// One seed-shaped record: decoding it into a <see cref="DeviceEvent"/> against a plain token scan (the baseline),
/// and reading a compiled <see cref="JsonPath"/> from its payload. <c>Alerting.Benchmarks micro --filter *Decode*</c>.
/// </summary>
[MemoryDiagnoser]
public class DecodeMicroBenchmarks
{
    private static readonly RecordOrigin Origin = new("device-events", 0, 0);
    private readonly byte[] _record;
    private readonly EventDecoder _decoder = new(new SourceDefinition(), TimeProvider.System);
    private readonly JsonPath _path = JsonPath.Compile("$.Param.ErrCode");
    private readonly DeviceEvent _event;

    public DecodeMicroBenchmarks()
    {
        _record = new SeedEventGenerator(42, new SeedEventOptions { Start = DateTimeOffset.UtcNow.AddHours(-1) }).Next().Value;
        _event = _decoder.Decode(_record, Origin).Event ?? throw new InvalidOperationException("the seed record does not decode");
    }

    [Benchmark(Baseline = true)]
    public int RawScan()
    {
        var reader = new Utf8JsonReader(_record);
        var tokens = 0;
        while (reader.Read())
        {
            tokens++;
        }

        return tokens;
    }

    [Benchmark]
    public DeviceEvent? Decode() => _decoder.Decode(_record, Origin).Event;

    [Benchmark]
    public FieldValue ReadJsonPath() => _path.Read(_event);
}
