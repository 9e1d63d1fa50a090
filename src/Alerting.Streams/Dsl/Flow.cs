namespace Alerting.Streams;

/// <summary>
/// A blueprint of a processing step with one input and one output: essentially a function from the upstream
/// <see cref="IAsyncEnumerable{T}"/> to the downstream one, applied when the stream is materialized.
/// </summary>
public sealed class Flow<TIn, TOut>
{
    private readonly Func<IAsyncEnumerable<TIn>, StreamContext, IAsyncEnumerable<TOut>> _apply;

    /// <summary>Creates a flow from the function that wires it in.</summary>
    public Flow(Func<IAsyncEnumerable<TIn>, StreamContext, IAsyncEnumerable<TOut>> apply) =>
        _apply = apply ?? throw new ArgumentNullException(nameof(apply));

    /// <summary>Wires the flow over <paramref name="upstream"/> inside a running stream.</summary>
    public IAsyncEnumerable<TOut> Apply(IAsyncEnumerable<TIn> upstream, StreamContext context) => _apply(upstream, context);

    /// <summary>Attaches another flow after this one.</summary>
    public Flow<TIn, TNext> Via<TNext>(Flow<TOut, TNext> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        return new Flow<TIn, TNext>((up, ctx) => next.Apply(_apply(up, ctx), ctx));
    }

    /// <summary>Attaches a sink, giving a sink of this flow's input.</summary>
    public Sink<TIn, TResult> To<TResult>(Sink<TOut, TResult> sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        return new Sink<TIn, TResult>((up, ctx) => sink.Run(_apply(up, ctx), ctx));
    }
}

/// <summary>Factories of flows.</summary>
public static partial class Flow
{
    /// <summary>The identity flow, to start a chain: <c>Flow.Create&lt;int&gt;().Select(...)</c>.</summary>
    public static Flow<T, T> Create<T>() => new((up, _) => up);
}
