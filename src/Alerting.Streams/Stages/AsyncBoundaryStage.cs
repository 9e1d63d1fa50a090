using System.Buffers;
using System.Runtime.CompilerServices;
using System.Threading.Channels;

namespace Alerting.Streams.Stages;

/// <summary>
/// Async boundary (Async/Buffer): runs everything upstream on its own task, which pulls ahead into a bounded
/// channel, and emits those elements downstream in order. Upstream is pulled at most <c>size</c> + 1 elements
/// ahead of downstream, so a slow downstream slows the upstream. For <c>size</c> below 16 the channel holds
/// single elements (<c>size</c> of them, plus the one waiting to enter). From 16 up it moves chunks of
/// <c>size</c>/8 elements (pooled arrays) to cut the cross-thread cost per element: the upstream task fills a
/// chunk while upstream answers synchronously and hands it over when it is full or as soon as upstream would
/// wait (so a trickle is not delayed); the channel holds as many chunks as keep every element pulled ahead
/// (channel, chunk being filled, chunk being emitted) within <c>size</c>. Completes after upstream completes
/// and the channel is drained. Upstream failure is delivered after the elements before it; downstream
/// cancellation cancels the upstream task and waits for it to stop before the stage counts as stopped.
/// </summary>
internal sealed class AsyncBoundaryStage<T>(IAsyncEnumerable<T> upstream, int size, StreamContext context) : IAsyncEnumerable<T>
{
    /// <summary>Sizes from which elements cross the boundary in chunks.</summary>
    internal const int ChunkedFrom = 16;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        size >= ChunkedFrom ? ChunkedAsync(cancellationToken) : SingleAsync(cancellationToken);

    private async IAsyncEnumerator<T> ChunkedAsync(CancellationToken cancellationToken)
    {
        var lifetime = context.Register("Async");
        var chunk = size / 8;
        var chunks = ((size + 1) / chunk) - 2;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<ArraySegment<T>>(new BoundedChannelOptions(chunks)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var producer = Task.Run(() => PumpChunksAsync(upstream, chunk, channel.Writer, cts.Token), CancellationToken.None);
        context.Track("Async.upstream", producer);
        try
        {
            var reader = channel.Reader;
            while (await reader.WaitToReadAsync(cancellationToken))
            {
                while (reader.TryRead(out var segment))
                {
                    try
                    {
                        for (var i = 0; i < segment.Count; i++)
                        {
                            yield return segment.Array![segment.Offset + i];
                        }
                    }
                    finally
                    {
                        ArrayPool<T>.Shared.Return(segment.Array!, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                    }
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            await producer;
            while (channel.Reader.TryRead(out var left))
            {
                ArrayPool<T>.Shared.Return(left.Array!, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
            }
            cts.Dispose();
            lifetime.Stop();
        }
    }

    /// <summary>Pumps <paramref name="source"/> into <paramref name="writer"/> in chunks; never throws, completes the writer.</summary>
    private static async Task PumpChunksAsync(IAsyncEnumerable<T> source, int chunk, ChannelWriter<ArraySegment<T>> writer, CancellationToken token)
    {
        var buffer = ArrayPool<T>.Shared.Rent(chunk);
        var count = 0;
        try
        {
            var e = source.GetAsyncEnumerator(token);
            try
            {
                while (true)
                {
                    var pull = e.MoveNextAsync();
                    bool has;
                    if (pull.IsCompletedSuccessfully)
                    {
                        has = pull.Result;
                    }
                    else if (count == 0)
                    {
                        has = await pull;
                    }
                    else
                    {
                        // upstream would wait: hand over what is ready first, while the pull goes on
                        var pending = pull.AsTask();
                        try
                        {
                            await FlushAsync();
                        }
                        finally
                        {
                            await ((Task)pending).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                        }
                        has = await pending;
                    }
                    if (!has)
                    {
                        break;
                    }
                    buffer[count++] = e.Current;
                    if (count == chunk)
                    {
                        await FlushAsync();
                    }
                }
                if (count > 0)
                {
                    await FlushAsync();
                }
            }
            finally
            {
                await e.DisposeAsync();
            }
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (ChannelClosedException)
        {
            // the reader side is gone.
        }
#pragma warning disable CA1031 // the failure is handed to the reader through the channel
        catch (Exception ex)
#pragma warning restore CA1031
        {
            writer.TryComplete(ex);
        }
        finally
        {
            if (buffer is not null)
            {
                ArrayPool<T>.Shared.Return(buffer, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
            }
        }

        async ValueTask FlushAsync()
        {
            var segment = new ArraySegment<T>(buffer!, 0, count);
            buffer = null;
            count = 0;
            if (!writer.TryWrite(segment))
            {
                try
                {
                    await writer.WriteAsync(segment, token);
                }
                catch
                {
                    ArrayPool<T>.Shared.Return(segment.Array!, RuntimeHelpers.IsReferenceOrContainsReferences<T>());
                    throw;
                }
            }
            buffer = ArrayPool<T>.Shared.Rent(chunk);
        }
    }

    private async IAsyncEnumerator<T> SingleAsync(CancellationToken cancellationToken)
    {
        var lifetime = context.Register("Async");
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(size)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });
        var producer = Task.Run(() => PumpAsync(upstream, channel.Writer, cts.Token), CancellationToken.None);
        context.Track("Async.upstream", producer);
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
            await producer;
            cts.Dispose();
            lifetime.Stop();
        }
    }

    /// <summary>Pumps <paramref name="source"/> into <paramref name="writer"/>; never throws, completes the writer.</summary>
    internal static async Task PumpAsync(IAsyncEnumerable<T> source, ChannelWriter<T> writer, CancellationToken token)
    {
        try
        {
            var e = source.GetAsyncEnumerator(token);
            try
            {
                while (await e.MoveNextAsync())
                {
                    var element = e.Current;
                    if (!writer.TryWrite(element))
                    {
                        await writer.WriteAsync(element, token);
                    }
                }
            }
            finally
            {
                await e.DisposeAsync();
            }
            writer.TryComplete();
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            writer.TryComplete();
        }
        catch (ChannelClosedException)
        {
            // the reader side is gone.
        }
#pragma warning disable CA1031 // the failure is handed to the reader through the channel
        catch (Exception ex)
#pragma warning restore CA1031
        {
            writer.TryComplete(ex);
        }
    }
}
