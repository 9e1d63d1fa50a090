namespace Alerting.Streams;

/// <summary>
/// Backoff of a restarting stage: the n-th restart in a row waits
/// <c>min(MaxBackoff, MinBackoff * 2^n)</c>, stretched by up to <c>RandomFactor</c>; after
/// <c>MaxRestarts</c> restarts in a row (negative: no limit) the stage gives up. The count of restarts in a
/// row is reset when an attempt has run longer than <c>MaxBackoff</c>.
/// </summary>
public sealed record RestartSettings(TimeSpan MinBackoff, TimeSpan MaxBackoff, double RandomFactor = 0.2, int MaxRestarts = -1)
{
    internal TimeSpan Backoff(int restartsInARow)
    {
        var exponent = Math.Min(restartsInARow, 30);
        var ticks = Math.Min(MaxBackoff.Ticks, MinBackoff.Ticks * Math.Pow(2, exponent));
        if (RandomFactor > 0)
        {
#pragma warning disable CA5394 // jitter, not security
            ticks *= 1 + (Random.Shared.NextDouble() * RandomFactor);
#pragma warning restore CA5394
        }
        return TimeSpan.FromTicks((long)ticks);
    }
}

/// <summary>Sources that restart with backoff.</summary>
public static class RestartSource
{
    /// <summary>
    /// Emits the elements of the source made by <paramref name="factory"/>; when it fails, waits the backoff
    /// (on the stream's clock) and emits from a new one; completes when an attempt completes. After
    /// <see cref="RestartSettings.MaxRestarts"/> failures in a row it fails with the last failure. Pulls the
    /// current attempt once per downstream pull. Downstream cancellation cancels the attempt and any backoff wait.
    /// </summary>
    public static Source<T> OnFailuresWithBackoff<T>(RestartSettings settings, Func<Source<T>> factory) =>
        new(ctx => new Stages.RestartSourceStage<T>(settings, factory, restartOnComplete: false, ctx));

    /// <summary>Like <see cref="OnFailuresWithBackoff{T}"/>, but also restarts after an attempt completes.</summary>
    public static Source<T> WithBackoff<T>(RestartSettings settings, Func<Source<T>> factory) =>
        new(ctx => new Stages.RestartSourceStage<T>(settings, factory, restartOnComplete: true, ctx));
}

/// <summary>Flows that restart with backoff.</summary>
public static class RestartFlow
{
    /// <summary>
    /// Runs the flow made by <paramref name="factory"/> over the upstream; when the flow (not the upstream)
    /// fails, the element it held is lost, and after the backoff a new flow continues over the same upstream.
    /// Upstream failure fails downstream; after <see cref="RestartSettings.MaxRestarts"/> failures in a row the
    /// last failure fails downstream. Completes when the upstream completes and the flow does.
    /// </summary>
    public static Flow<TIn, TOut> OnFailuresWithBackoff<TIn, TOut>(RestartSettings settings, Func<Flow<TIn, TOut>> factory) =>
        new((up, ctx) => new Stages.RestartFlowStage<TIn, TOut>(up, settings, factory, ctx));
}
