using Alerting.Streams;
using Alerting.TestKit.Streams;
using Alerting.TestKit.Time;

namespace Alerting.Streams.Tests;

/// <summary>Shared set-up of the stage specs: a manual clock and helpers to run a graph between probes.</summary>
public abstract class StreamSpec
{
    protected ManualTimeProvider Clock { get; } = new();

    protected Materializer Materializer => new(Clock);

    protected sealed class TestException(string message) : Exception(message);

    protected StreamHandle<Done> Run<T>(Source<T> source, SinkProbe<T> sink) => source.RunWith(sink.Sink, Materializer);

    protected (SourceProbe<TIn> Source, SinkProbe<TOut> Sink, StreamHandle<Done> Handle) Probe<TIn, TOut>(Flow<TIn, TOut> flow)
    {
        var source = new SourceProbe<TIn>();
        var sink = new SinkProbe<TOut>();
        var handle = Run(source.Source.Via(flow), sink);
        return (source, sink, handle);
    }

    protected Task AllStagesStopped<T>(StreamHandle<T> handle) => StreamAssert.AllStagesStoppedAsync(handle, Clock);
}
