namespace Alerting.Streams.Stages;

/// <summary>One synchronous step of a fused chain: false drops the element (filtered, or resumed after a failure).</summary>
internal delegate bool Step<TIn, TOut>(TIn input, out TOut output);

/// <summary>A stage that can absorb a following synchronous step instead of adding an enumerator layer.</summary>
internal interface IFusable<TOut>
{
    IAsyncEnumerable<TNext> Fuse<TNext>(Step<TOut, TNext> next, string name);
}

/// <summary>
/// Operator fusion: a chain of synchronous one-in, at-most-one-out stages (Select, Where) runs as a single
/// enumerator over the upstream, the steps composed into one function, so consecutive stages cost a delegate
/// call each rather than an async enumerator each. Every fused stage is still registered under its own name.
/// Emits what the last step emits; pulls upstream once per downstream pull plus once per dropped element;
/// completes when upstream completes; a step that throws past its supervision fails downstream and cancels
/// upstream; upstream failure and downstream cancellation pass through.
/// </summary>
internal sealed class FusedStage<TIn, TOut>(IAsyncEnumerable<TIn> upstream, Step<TIn, TOut> step, string[] names, StreamContext context)
    : IAsyncEnumerable<TOut>, IFusable<TOut>
{
    public IAsyncEnumerable<TNext> Fuse<TNext>(Step<TOut, TNext> next, string name)
    {
        var first = step;
        Step<TIn, TNext> composed = (TIn input, out TNext output) =>
        {
            if (first(input, out var middle))
            {
                return next(middle, out output);
            }
            output = default!;
            return false;
        };
        return new FusedStage<TIn, TNext>(upstream, composed, [.. names, name], context);
    }

    public IAsyncEnumerator<TOut> GetAsyncEnumerator(CancellationToken cancellationToken = default)
    {
        var lifetimes = new StageLifetime[names.Length];
        for (var i = 0; i < names.Length; i++)
        {
            lifetimes[i] = context.Register(names[i]);
        }
        return new Enumerator(upstream.GetAsyncEnumerator(cancellationToken), step, lifetimes);
    }

    private sealed class Enumerator(IAsyncEnumerator<TIn> upstream, Step<TIn, TOut> step, StageLifetime[] lifetimes) : IAsyncEnumerator<TOut>
    {
        private TOut _current = default!;

        public TOut Current => _current;

        public ValueTask<bool> MoveNextAsync()
        {
            while (true)
            {
                var pull = upstream.MoveNextAsync();
                if (!pull.IsCompletedSuccessfully)
                {
                    return SlowAsync(pull);
                }
                if (!pull.Result)
                {
                    return new ValueTask<bool>(false);
                }
                if (step(upstream.Current, out _current))
                {
                    return new ValueTask<bool>(true);
                }
            }
        }

        private async ValueTask<bool> SlowAsync(ValueTask<bool> pull)
        {
            while (true)
            {
                if (!await pull)
                {
                    return false;
                }
                if (step(upstream.Current, out _current))
                {
                    return true;
                }
                pull = upstream.MoveNextAsync();
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await upstream.DisposeAsync();
            }
            finally
            {
                foreach (var lifetime in lifetimes)
                {
                    lifetime.Stop();
                }
            }
        }
    }
}

/// <summary>Attaches a step to an upstream, fusing it into the upstream's chain when it has one.</summary>
internal static class Fusion
{
    public static IAsyncEnumerable<TOut> Attach<TIn, TOut>(IAsyncEnumerable<TIn> upstream, Step<TIn, TOut> step, string name, StreamContext context) =>
        upstream is IFusable<TIn> fusable
            ? fusable.Fuse(step, name)
            : new FusedStage<TIn, TOut>(upstream, step, [name], context);
}
