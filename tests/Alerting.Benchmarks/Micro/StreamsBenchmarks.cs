using System.Threading.Channels;
using Alerting.Streams;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;

namespace Alerting.Benchmarks.Micro;

/// <summary>
/// Nanoseconds per element through 1 and 5 fused Select stages and through one async boundary, each against a
/// plain loop over the same array in the same run (the baseline of its category). Reported per element
/// (OperationsPerInvoke), stream materialization included.
/// </summary>
[MemoryDiagnoser]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class StreamsBenchmarks
{
    private const int N = 200_000;
    private int[] _data = [];

    [GlobalSetup]
    public void Setup() => _data = Enumerable.Range(0, N).ToArray();

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    [BenchmarkCategory("select-1")]
    public long PlainLoop_Select1()
    {
        long sum = 0;
        var f = Add1;
        foreach (var x in _data)
        {
            sum += f(x);
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = N)]
    [BenchmarkCategory("select-1")]
    public Task<long> Stream_Select1() =>
        Source.From(_data).Select(Add1).RunWith(Sink.Aggregate<int, long>(0, static (s, x) => s + x)).Completion;

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    [BenchmarkCategory("select-5")]
    public long PlainLoop_Select5()
    {
        long sum = 0;
        var f = Add1;
        foreach (var x in _data)
        {
            sum += f(f(f(f(f(x)))));
        }
        return sum;
    }

    [Benchmark(OperationsPerInvoke = N)]
    [BenchmarkCategory("select-5")]
    public Task<long> Stream_Select5() =>
        Source.From(_data).Select(Add1).Select(Add1).Select(Add1).Select(Add1).Select(Add1)
            .RunWith(Sink.Aggregate<int, long>(0, static (s, x) => s + x)).Completion;

    [Benchmark(Baseline = true, OperationsPerInvoke = N)]
    [BenchmarkCategory("async-boundary")]
    public long PlainLoop_Boundary()
    {
        long sum = 0;
        var f = Add1;
        foreach (var x in _data)
        {
            sum += f(x);
        }
        return sum;
    }

    /// <summary>A hand-written producer task and bounded channel: the floor for any async boundary.</summary>
    [Benchmark(OperationsPerInvoke = N)]
    [BenchmarkCategory("async-boundary")]
    public async Task<long> RawChannel_Boundary()
    {
        var channel = Channel.CreateBounded<int>(new BoundedChannelOptions(256) { SingleReader = true, SingleWriter = true });
        var data = _data;
        var producer = Task.Run(async () =>
        {
            foreach (var x in data)
            {
                if (!channel.Writer.TryWrite(x))
                {
                    await channel.Writer.WriteAsync(x);
                }
            }
            channel.Writer.Complete();
        });
        long sum = 0;
        var f = Add1;
        while (await channel.Reader.WaitToReadAsync())
        {
            while (channel.Reader.TryRead(out var x))
            {
                sum += f(x);
            }
        }
        await producer;
        return sum;
    }

    [Benchmark(OperationsPerInvoke = N)]
    [BenchmarkCategory("async-boundary")]
    public Task<long> Stream_AsyncBoundary() =>
        Source.From(_data).Select(Add1).Async(256)
            .RunWith(Sink.Aggregate<int, long>(0, static (s, x) => s + x)).Completion;

    private static readonly Func<int, int> Add1 = static x => x + 1;
}
