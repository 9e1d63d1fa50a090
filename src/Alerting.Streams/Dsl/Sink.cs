namespace Alerting.Streams;

/// <summary>The result of a sink that has no value of its own: the stream completed.</summary>
public readonly record struct Done;

/// <summary>
/// A blueprint of a stream's end: it pulls its upstream (each pull is demand) and completes a task with its
/// result when the upstream completes, or faults it when the upstream fails.
/// </summary>
public sealed class Sink<T, TResult>
{
    private readonly Func<IAsyncEnumerable<T>, StreamContext, Task<TResult>> _run;

    /// <summary>Creates a sink from the function that consumes the upstream.</summary>
    public Sink(Func<IAsyncEnumerable<T>, StreamContext, Task<TResult>> run) => _run = run ?? throw new ArgumentNullException(nameof(run));

    /// <summary>Consumes <paramref name="upstream"/> inside a running stream.</summary>
    public Task<TResult> Run(IAsyncEnumerable<T> upstream, StreamContext context) => _run(upstream, context);
}

/// <summary>Factories of sinks.</summary>
public static class Sink
{
    /// <summary>Calls <paramref name="action"/> for every element, pulling the next one only after it returns.</summary>
    public static Sink<T, Done> ForEach<T>(Action<T> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new Sink<T, Done>(async (up, ctx) =>
        {
            await using var e = up.GetAsyncEnumerator(ctx.Aborted);
            while (await e.MoveNextAsync())
            {
                action(e.Current);
            }
            return default;
        });
    }

    /// <summary>Awaits <paramref name="action"/> for every element before pulling the next one.</summary>
    public static Sink<T, Done> ForEachAsync<T>(Func<T, CancellationToken, ValueTask> action)
    {
        ArgumentNullException.ThrowIfNull(action);
        return new Sink<T, Done>(async (up, ctx) =>
        {
            await using var e = up.GetAsyncEnumerator(ctx.Aborted);
            while (await e.MoveNextAsync())
            {
                await action(e.Current, ctx.Aborted);
            }
            return default;
        });
    }

    /// <summary>Folds every element into a value, which is the result.</summary>
    public static Sink<T, TAcc> Aggregate<T, TAcc>(TAcc seed, Func<TAcc, T, TAcc> fold)
    {
        ArgumentNullException.ThrowIfNull(fold);
        return new Sink<T, TAcc>(async (up, ctx) =>
        {
            var acc = seed;
            await using var e = up.GetAsyncEnumerator(ctx.Aborted);
            while (await e.MoveNextAsync())
            {
                acc = fold(acc, e.Current);
            }
            return acc;
        });
    }

    /// <summary>Collects every element; the result is the list, in order.</summary>
    public static Sink<T, IReadOnlyList<T>> Seq<T>() =>
        new(async (up, ctx) =>
        {
            var list = new List<T>();
            await using var e = up.GetAsyncEnumerator(ctx.Aborted);
            while (await e.MoveNextAsync())
            {
                list.Add(e.Current);
            }
            return list;
        });

    /// <summary>Pulls and discards every element.</summary>
    public static Sink<T, Done> Ignore<T>() => ForEach<T>(static _ => { });
}
