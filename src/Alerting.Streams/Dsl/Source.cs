namespace Alerting.Streams;

/// <summary>
/// A blueprint of a stream with one output: materialized against a <see cref="StreamContext"/> it becomes an
/// <see cref="IAsyncEnumerable{T}"/> whose pulls are the downstream demand. Immutable and reusable unless
/// built over a single-use resource (a probe, a channel).
/// </summary>
public sealed class Source<T>
{
    private readonly Func<StreamContext, IAsyncEnumerable<T>> _open;
    private readonly bool _isRoot;

    /// <summary>
    /// Creates a source from a function that opens it in a stream. When run as part of a graph, the graph's
    /// kill switch sits right after it, so draining the graph stops taking input here.
    /// </summary>
    public Source(Func<StreamContext, IAsyncEnumerable<T>> open)
        : this(open, isRoot: true)
    {
    }

    internal Source(Func<StreamContext, IAsyncEnumerable<T>> open, bool isRoot)
    {
        _open = open ?? throw new ArgumentNullException(nameof(open));
        _isRoot = isRoot;
    }

    /// <summary>Opens the source inside a running stream.</summary>
    public IAsyncEnumerable<T> Open(StreamContext context) =>
        _isRoot ? Stages.KillSwitchStage<T>.ForGraph(_open(context), context) : _open(context);

    /// <summary>Opens the source as an input of a combinator (Merge, RestartSource) that is guarded itself.</summary>
    internal IAsyncEnumerable<T> OpenUnguarded(StreamContext context) => _open(context);

    /// <summary>Attaches a flow.</summary>
    public Source<TOut> Via<TOut>(Flow<T, TOut> flow)
    {
        ArgumentNullException.ThrowIfNull(flow);
        return new Source<TOut>(ctx => flow.Apply(Open(ctx), ctx), isRoot: false);
    }

    /// <summary>Attaches a sink, giving a graph ready to run.</summary>
    public RunnableGraph<TResult> To<TResult>(Sink<T, TResult> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return new RunnableGraph<TResult>(ctx => sink.Run(Open(ctx), ctx));
    }

    /// <summary>Runs this source into <paramref name="sink"/>.</summary>
    public StreamHandle<TResult> RunWith<TResult>(Sink<T, TResult> sink, Materializer? materializer = null) =>
        To(sink).Run(materializer);
}

/// <summary>Factories of sources.</summary>
public static partial class Source
{
    /// <summary>Emits the elements of <paramref name="items"/> in order as they are pulled, then completes.</summary>
    public static Source<T> From<T>(IEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new Source<T>(ctx => new Stages.EnumerableSource<T>(items, ctx));
    }

    /// <summary>Emits the elements of an async sequence as they are pulled.</summary>
    public static Source<T> FromAsyncEnumerable<T>(IAsyncEnumerable<T> items)
    {
        ArgumentNullException.ThrowIfNull(items);
        return new Source<T>(_ => items);
    }

    /// <summary>A stream already running inside the graph (not a new input), e.g. the upstream of a Merge flow.</summary>
    internal static Source<T> Inner<T>(IAsyncEnumerable<T> upstream) => new(_ => upstream, isRoot: false);

    /// <summary>Emits one element, then completes.</summary>
    public static Source<T> Single<T>(T element) => From([element]);

    /// <summary>Completes without emitting.</summary>
    public static Source<T> Empty<T>() => From(Array.Empty<T>());

    /// <summary>Fails with <paramref name="exception"/> at the first pull.</summary>
    public static Source<T> Failed<T>(Exception exception) => new(_ => FailedAsync<T>(exception));

    private static async IAsyncEnumerable<T> FailedAsync<T>(Exception exception)
    {
        await Task.CompletedTask;
        if (exception is not null)
        {
            throw exception;
        }
        yield break;
    }
}
