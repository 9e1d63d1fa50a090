using System.Threading.Channels;

namespace Alerting.Streams.Stages;

/// <summary>
/// Merge: emits the elements of N sources as they arrive, each source's elements in their own order. Each
/// source runs on its own task into its own one-slot channel; downstream takes from those channels round
/// robin, starting after the source it took from last, so whenever several sources have an element ready
/// they are served in turn (fair) and a fast source cannot starve a slow one. A source is pulled at most two
/// elements ahead of downstream (its slot and the one waiting to enter it). Completes when all sources have
/// completed. The first source failure fails downstream and cancels the other sources; downstream
/// cancellation cancels all sources and waits for their tasks to stop.
/// </summary>
internal sealed class MergeStage<T>(IReadOnlyList<Source<T>> sources, StreamContext context) : IAsyncEnumerable<T>
{
    public async IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetime = context.Register("Merge");
        var n = sources.Count;
        var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var readers = new ChannelReader<T>[n];
        var pumps = new Task[n];
        for (var i = 0; i < n; i++)
        {
            var channel = Channel.CreateBounded<T>(new BoundedChannelOptions(1)
            {
                SingleReader = true,
                SingleWriter = true,
                FullMode = BoundedChannelFullMode.Wait,
            });
            readers[i] = channel.Reader;
            var source = sources[i];
            pumps[i] = Task.Run(() => PumpAsync(source, channel.Writer), CancellationToken.None);
            context.Track($"Merge.input[{i}]", pumps[i]);
        }
        var done = new bool[n];
        var waits = new Task<bool>?[n];
        var open = n;
        var next = 0;
        try
        {
            while (open > 0)
            {
                var found = false;
                T element = default!;
                for (var k = 0; k < n; k++)
                {
                    var i = (next + k) % n;
                    if (!done[i] && readers[i].TryRead(out element!))
                    {
                        next = i + 1;
                        found = true;
                        break;
                    }
                }
                if (found)
                {
                    yield return element;
                    continue;
                }

                var pending = new List<Task<bool>>(open);
                for (var i = 0; i < n; i++)
                {
                    if (!done[i])
                    {
                        pending.Add(waits[i] ??= readers[i].WaitToReadAsync(cancellationToken).AsTask());
                    }
                }
                await Task.WhenAny(pending).WaitAsync(cancellationToken);
                for (var i = 0; i < n; i++)
                {
                    if (waits[i] is { IsCompleted: true } wait)
                    {
                        waits[i] = null;
                        if (!await wait)
                        {
                            done[i] = true;
                            open--;
                        }
                    }
                }
            }
        }
        finally
        {
            await cts.CancelAsync();
            await Task.WhenAll(pumps);
            foreach (var wait in waits)
            {
                if (wait is not null)
                {
                    await ((Task)wait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }
            }
            cts.Dispose();
            lifetime.Stop();
        }

        async Task PumpAsync(Source<T> source, ChannelWriter<T> writer)
        {
            var token = cts.Token;
            try
            {
                await foreach (var element in source.Open(context).WithCancellation(token))
                {
                    if (!writer.TryWrite(element))
                    {
                        await writer.WriteAsync(element, token);
                    }
                }
                writer.TryComplete();
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                writer.TryComplete();
            }
#pragma warning disable CA1031 // handed to the reader through the channel
            catch (Exception ex)
#pragma warning restore CA1031
            {
                writer.TryComplete(ex);
                await cts.CancelAsync();
            }
        }
    }
}
