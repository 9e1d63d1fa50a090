using System.Threading.Channels;
using Alerting.Streams;

namespace Alerting.Kafka.Streaming;

/// <summary>Operators over sources of substreams (e.g. <see cref="KafkaConsumerSource.Partitioned"/>).</summary>
public static class SubstreamOperators
{
    /// <summary>Merges the substreams of <paramref name="outer"/> as they appear (see <see cref="MergeSubstreamsStage{TSub,T}"/>).</summary>
    public static Source<T> MergeSubstreams<TSub, T>(this Source<TSub> outer, Func<TSub, Source<T>> substream, int bufferSize = 16)
    {
        ArgumentNullException.ThrowIfNull(outer);
        ArgumentNullException.ThrowIfNull(substream);
        ArgumentOutOfRangeException.ThrowIfLessThan(bufferSize, 1);
        return new(ctx => new MergeSubstreamsStage<TSub, T>(outer, substream, bufferSize, ctx));
    }
}

/// <summary>
/// MergeSubstreams (flatMapMerge without a breadth limit): opens each substream as the outer source emits it and
/// emits the elements of all open substreams as they arrive, each substream's in its own order. Every substream
/// runs on its own task and writes into one bounded channel of <c>bufferSize</c>, so substreams are pulled only
/// as fast as downstream drains it. Completes when the outer source and every substream have completed; the
/// first failure (outer or substream) fails downstream and cancels everything else; downstream cancellation
/// cancels the outer source and the substreams and waits for their tasks.
/// </summary>
public sealed class MergeSubstreamsStage<TSub, T> : IAsyncEnumerable<T>
{
    private readonly Source<TSub> _outer;
    private readonly Func<TSub, Source<T>> _substream;
    private readonly int _bufferSize;
    private readonly StreamContext _context;

    internal MergeSubstreamsStage(Source<TSub> outer, Func<TSub, Source<T>> substream, int bufferSize, StreamContext context)
    {
        _outer = outer;
        _substream = substream;
        _bufferSize = bufferSize;
        _context = context;
    }

    /// <inheritdoc />
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = _context.Register("MergeSubstreams");
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(_bufferSize)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var remaining = 1;
        var inner = new List<Task>();
        var gate = new Lock();
        var outerTask = Task.Run(PumpOuterAsync, CancellationToken.None);
        try
        {
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var element))
                {
                    yield return element;
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            await outerTask;
            Task[] pumps;
            lock (gate)
            {
                pumps = [.. inner];
            }

            await Task.WhenAll(pumps);
            cts.Dispose();
            lifetime.Stop();
        }

        async Task PumpOuterAsync()
        {
            var token = cts.Token;
            try
            {
                await foreach (var sub in _outer.Open(_context).WithCancellation(token))
                {
                    Interlocked.Increment(ref remaining);
                    var source = _substream(sub);
                    var task = Task.Run(() => PumpInnerAsync(source), CancellationToken.None);
                    _context.Track("MergeSubstreams.substream", task);
                    lock (gate)
                    {
                        inner.Add(task);
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
#pragma warning disable CA1031 // handed to the reader through the channel
            catch (Exception ex)
#pragma warning restore CA1031
            {
                channel.Writer.TryComplete(ex);
                await cts.CancelAsync();
            }
            finally
            {
                Finished();
            }
        }

        async Task PumpInnerAsync(Source<T> source)
        {
            var token = cts.Token;
            try
            {
                await foreach (var element in source.Open(_context).WithCancellation(token))
                {
                    await channel.Writer.WriteAsync(element, token);
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
            }
            catch (ChannelClosedException)
            {
            }
#pragma warning disable CA1031 // handed to the reader through the channel
            catch (Exception ex)
#pragma warning restore CA1031
            {
                channel.Writer.TryComplete(ex);
                await cts.CancelAsync();
            }
            finally
            {
                Finished();
            }
        }

        void Finished()
        {
            if (Interlocked.Decrement(ref remaining) == 0)
            {
                channel.Writer.TryComplete();
            }
        }
    }
}
