using System.Threading.Channels;

namespace Akka.Alerting.Streams.Stages;

/// <summary>
/// Async boundary (Async/Buffer): runs everything upstream on its own task, which pulls ahead into a bounded
/// channel of exactly <c>size</c> elements; emits those elements downstream in order. Upstream is pulled at
/// most <c>size</c> + 1 elements ahead of downstream (the channel plus the one element waiting to enter it), so
/// a slow downstream slows the upstream. Completes after upstream completes and the channel is drained.
/// Upstream failure is delivered after the elements before it; downstream cancellation cancels the upstream
/// task and waits for it to stop before the stage counts as stopped.
/// </summary>
internal sealed class AsyncBoundaryStage<T>(IAsyncEnumerable<T> upstream, int size, StreamContext context) : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
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
