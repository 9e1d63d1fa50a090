using System.Threading.Channels;

namespace Akka.Alerting.Streams.Stages;

/// <summary>
/// Merge: emits the elements of N sources as they arrive, each source's elements in their own order. Each
/// source runs on its own task and waits with at most one element at the shared bounded channel (of N
/// slots); waiting sources are served first come, first served, so a fast source cannot starve a slow one
/// (fair). Sources are pulled only as fast as downstream drains the channel. Completes when all sources have
/// completed. The first source failure fails downstream and cancels the other sources; downstream
/// cancellation cancels all sources and waits for their tasks to stop.
/// </summary>
internal sealed class MergeStage<T>(IReadOnlyList<Source<T>> sources, StreamContext context) : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Merge");
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(Math.Max(1, sources.Count))
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        var remaining = sources.Count;
        if (remaining == 0)
        {
            channel.Writer.TryComplete();
        }
        var pumps = new Task[sources.Count];
        for (var i = 0; i < sources.Count; i++)
        {
            var source = sources[i];
            pumps[i] = Task.Run(() => PumpAsync(source), CancellationToken.None);
            context.Track($"Merge.input[{i}]", pumps[i]);
        }
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
            await Task.WhenAll(pumps);
            cts.Dispose();
            lifetime.Stop();
        }

        async Task PumpAsync(Source<T> source)
        {
            var token = cts.Token;
            try
            {
                await foreach (var element in source.Open(context).WithCancellation(token))
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
                if (Interlocked.Decrement(ref remaining) == 0)
                {
                    channel.Writer.TryComplete();
                }
            }
        }
    }
}
