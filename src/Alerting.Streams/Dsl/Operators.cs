using Alerting.Streams.Stages;

namespace Alerting.Streams;

/// <summary>Factories of the operator flows; each stage's behaviour is documented on its stage type.</summary>
public static partial class Flow
{
    /// <summary>Maps each element (see <see cref="SelectStage"/>).</summary>
    public static Flow<TIn, TOut> Select<TIn, TOut>(Func<TIn, TOut> selector, SupervisionStrategy? supervision = null)
    {
        ArgumentNullException.ThrowIfNull(selector);
        return new((up, ctx) => SelectStage.Create(up, selector, supervision ?? ctx.Supervision, ctx));
    }

    /// <summary>Keeps the elements that satisfy the predicate (see <see cref="WhereStage"/>).</summary>
    public static Flow<T, T> Where<T>(Func<T, bool> predicate, SupervisionStrategy? supervision = null)
    {
        ArgumentNullException.ThrowIfNull(predicate);
        return new((up, ctx) => WhereStage.Create(up, predicate, supervision ?? ctx.Supervision, ctx));
    }

    /// <summary>Emits the running aggregate (see <see cref="ScanStage{TIn,TAcc}"/>).</summary>
    public static Flow<TIn, TAcc> Scan<TIn, TAcc>(TAcc seed, Func<TAcc, TIn, TAcc> fold, SupervisionStrategy? supervision = null)
    {
        ArgumentNullException.ThrowIfNull(fold);
        return new((up, ctx) => new ScanStage<TIn, TAcc>(up, seed, fold, supervision ?? ctx.Supervision, ctx));
    }

    /// <summary>Async map with bounded parallelism, keeping order (see <see cref="SelectAsyncStage{TIn,TOut}"/>).</summary>
    public static Flow<TIn, TOut> SelectAsync<TIn, TOut>(
        int parallelism, Func<TIn, CancellationToken, ValueTask<TOut>> selector, SupervisionStrategy? supervision = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(parallelism, 1);
        ArgumentNullException.ThrowIfNull(selector);
        return new((up, ctx) => new SelectAsyncStage<TIn, TOut>(up, parallelism, selector, supervision ?? ctx.Supervision, ctx));
    }

    /// <summary>Batches by count or time, whichever first (see <see cref="GroupedWithinStage{T}"/>).</summary>
    public static Flow<T, IReadOnlyList<T>> GroupedWithin<T>(int maxCount, TimeSpan window)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCount, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        return new((up, ctx) => new GroupedWithinStage<T>(up, maxCount, window, ctx));
    }

    /// <summary>Substreams per key, merged (see <see cref="GroupByStage{T,TKey,TOut}"/>).</summary>
    public static Flow<T, TOut> GroupBy<T, TKey, TOut>(
        Func<T, TKey> keySelector,
        int maxSubstreams,
        Func<TKey, Flow<T, TOut>> substream,
        TimeSpan? idleTimeout = null,
        int substreamBuffer = 16)
        where TKey : notnull
    {
        ArgumentNullException.ThrowIfNull(keySelector);
        ArgumentNullException.ThrowIfNull(substream);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxSubstreams, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(substreamBuffer, 1);
        return new((up, ctx) => new GroupByStage<T, TKey, TOut>(up, keySelector, maxSubstreams, idleTimeout, substreamBuffer, substream, ctx));
    }

    /// <summary>Sends the matching elements to a side output (see <see cref="DivertToStage{T}"/>).</summary>
    public static Flow<T, T> DivertTo<T>(SideOutput<T> side, Func<T, bool> predicate, bool completeSideOutput = true)
    {
        ArgumentNullException.ThrowIfNull(side);
        ArgumentNullException.ThrowIfNull(predicate);
        return new((up, ctx) => new DivertToStage<T>(up, side, predicate, completeSideOutput, ctx));
    }

    /// <summary>An async boundary with a bounded buffer of <paramref name="size"/> (see <see cref="AsyncBoundaryStage{T}"/>).</summary>
    public static Flow<T, T> Async<T>(int size = 16)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 1);
        return new((up, ctx) => new AsyncBoundaryStage<T>(up, size, ctx));
    }

    /// <summary>Limits the rate (see <see cref="ThrottleStage{T}"/>).</summary>
    public static Flow<T, T> Throttle<T>(int elements, TimeSpan per, int maximumBurst = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(elements, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(per, TimeSpan.Zero);
        return new((up, ctx) => new ThrottleStage<T>(up, elements, per, maximumBurst, ctx));
    }

    /// <summary>Injects an element when upstream is idle (see <see cref="KeepAliveStage{T}"/>).</summary>
    public static Flow<T, T> KeepAlive<T>(TimeSpan maxIdle, Func<T> inject)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(maxIdle, TimeSpan.Zero);
        ArgumentNullException.ThrowIfNull(inject);
        return new((up, ctx) => new KeepAliveStage<T>(up, maxIdle, inject, ctx));
    }

    /// <summary>Merges <paramref name="other"/> into the stream (see <see cref="MergeStage{T}"/>).</summary>
    public static Flow<T, T> Merge<T>(Source<T> other)
    {
        ArgumentNullException.ThrowIfNull(other);
        return new((up, ctx) => new MergeStage<T>([Source.Inner(up), other], ctx));
    }
}

public static partial class Source
{
    /// <summary>Merges sources fairly, completing when all complete (see <see cref="MergeStage{T}"/>).</summary>
    public static Source<T> Merge<T>(params Source<T>[] sources)
    {
        ArgumentNullException.ThrowIfNull(sources);
        var copy = sources.ToArray();
        // not an input itself: each merged source is guarded by the graph's kill switch
        return new(ctx => new MergeStage<T>(copy, ctx), isRoot: false);
    }

    /// <summary>Emits <paramref name="value"/> on a clock (see <see cref="TickSource{T}"/>).</summary>
    public static Source<T> Tick<T>(TimeSpan initialDelay, TimeSpan interval, T value)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(interval, TimeSpan.Zero);
        return new(ctx => new TickSource<T>(initialDelay, interval, value, ctx));
    }
}

/// <summary>The operators as methods on sources and flows: <c>source.Select(f).Where(p).Async(16)</c>.</summary>
public static class StreamOperators
{
    public static Source<TOut> Select<TIn, TOut>(this Source<TIn> source, Func<TIn, TOut> selector, SupervisionStrategy? supervision = null) =>
        Src(source).Via(Flow.Select(selector, supervision));

    public static Flow<TIn, TNext> Select<TIn, TOut, TNext>(this Flow<TIn, TOut> flow, Func<TOut, TNext> selector, SupervisionStrategy? supervision = null) =>
        Fl(flow).Via(Flow.Select(selector, supervision));

    public static Source<T> Where<T>(this Source<T> source, Func<T, bool> predicate, SupervisionStrategy? supervision = null) =>
        Src(source).Via(Flow.Where(predicate, supervision));

    public static Flow<TIn, T> Where<TIn, T>(this Flow<TIn, T> flow, Func<T, bool> predicate, SupervisionStrategy? supervision = null) =>
        Fl(flow).Via(Flow.Where(predicate, supervision));

    public static Source<TAcc> Scan<T, TAcc>(this Source<T> source, TAcc seed, Func<TAcc, T, TAcc> fold, SupervisionStrategy? supervision = null) =>
        Src(source).Via(Flow.Scan(seed, fold, supervision));

    public static Flow<TIn, TAcc> Scan<TIn, T, TAcc>(this Flow<TIn, T> flow, TAcc seed, Func<TAcc, T, TAcc> fold, SupervisionStrategy? supervision = null) =>
        Fl(flow).Via(Flow.Scan(seed, fold, supervision));

    public static Source<TOut> SelectAsync<TIn, TOut>(
        this Source<TIn> source, int parallelism, Func<TIn, CancellationToken, ValueTask<TOut>> selector, SupervisionStrategy? supervision = null) =>
        Src(source).Via(Flow.SelectAsync(parallelism, selector, supervision));

    public static Flow<TIn, TNext> SelectAsync<TIn, TOut, TNext>(
        this Flow<TIn, TOut> flow, int parallelism, Func<TOut, CancellationToken, ValueTask<TNext>> selector, SupervisionStrategy? supervision = null) =>
        Fl(flow).Via(Flow.SelectAsync(parallelism, selector, supervision));

    public static Source<IReadOnlyList<T>> GroupedWithin<T>(this Source<T> source, int maxCount, TimeSpan window) =>
        Src(source).Via(Flow.GroupedWithin<T>(maxCount, window));

    public static Flow<TIn, IReadOnlyList<T>> GroupedWithin<TIn, T>(this Flow<TIn, T> flow, int maxCount, TimeSpan window) =>
        Fl(flow).Via(Flow.GroupedWithin<T>(maxCount, window));

    public static Source<TOut> GroupBy<T, TKey, TOut>(
        this Source<T> source, Func<T, TKey> keySelector, int maxSubstreams, Func<TKey, Flow<T, TOut>> substream,
        TimeSpan? idleTimeout = null, int substreamBuffer = 16)
        where TKey : notnull =>
        Src(source).Via(Flow.GroupBy(keySelector, maxSubstreams, substream, idleTimeout, substreamBuffer));

    public static Flow<TIn, TOut> GroupBy<TIn, T, TKey, TOut>(
        this Flow<TIn, T> flow, Func<T, TKey> keySelector, int maxSubstreams, Func<TKey, Flow<T, TOut>> substream,
        TimeSpan? idleTimeout = null, int substreamBuffer = 16)
        where TKey : notnull =>
        Fl(flow).Via(Flow.GroupBy(keySelector, maxSubstreams, substream, idleTimeout, substreamBuffer));

    public static Source<T> DivertTo<T>(this Source<T> source, SideOutput<T> side, Func<T, bool> predicate, bool completeSideOutput = true) =>
        Src(source).Via(Flow.DivertTo(side, predicate, completeSideOutput));

    public static Flow<TIn, T> DivertTo<TIn, T>(this Flow<TIn, T> flow, SideOutput<T> side, Func<T, bool> predicate, bool completeSideOutput = true) =>
        Fl(flow).Via(Flow.DivertTo(side, predicate, completeSideOutput));

    public static Source<T> Async<T>(this Source<T> source, int size = 16) => Src(source).Via(Flow.Async<T>(size));

    public static Flow<TIn, T> Async<TIn, T>(this Flow<TIn, T> flow, int size = 16) => Fl(flow).Via(Flow.Async<T>(size));

    /// <summary>Same as <see cref="Async{T}(Source{T}, int)"/>: a bounded buffer on its own task.</summary>
    public static Source<T> Buffer<T>(this Source<T> source, int size) => Src(source).Via(Flow.Async<T>(size));

    public static Source<T> Throttle<T>(this Source<T> source, int elements, TimeSpan per, int maximumBurst = 1) =>
        Src(source).Via(Flow.Throttle<T>(elements, per, maximumBurst));

    public static Flow<TIn, T> Throttle<TIn, T>(this Flow<TIn, T> flow, int elements, TimeSpan per, int maximumBurst = 1) =>
        Fl(flow).Via(Flow.Throttle<T>(elements, per, maximumBurst));

    public static Source<T> KeepAlive<T>(this Source<T> source, TimeSpan maxIdle, Func<T> inject) =>
        Src(source).Via(Flow.KeepAlive(maxIdle, inject));

    public static Flow<TIn, T> KeepAlive<TIn, T>(this Flow<TIn, T> flow, TimeSpan maxIdle, Func<T> inject) =>
        Fl(flow).Via(Flow.KeepAlive(maxIdle, inject));

    public static Source<T> Merge<T>(this Source<T> source, Source<T> other) => Source.Merge(Src(source), other);

    public static Source<T> Via<T>(this Source<T> source, SharedKillSwitch killSwitch)
    {
        ArgumentNullException.ThrowIfNull(killSwitch);
        return Src(source).Via(killSwitch.Flow<T>());
    }

    private static Source<T> Src<T>(Source<T> source) => source ?? throw new ArgumentNullException(nameof(source));

    private static Flow<TIn, T> Fl<TIn, T>(Flow<TIn, T> flow) => flow ?? throw new ArgumentNullException(nameof(flow));
}
