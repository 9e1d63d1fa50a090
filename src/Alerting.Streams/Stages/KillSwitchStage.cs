namespace Alerting.Streams.Stages;

/// <summary>
/// Kill switch stage: emits upstream elements unchanged, one pull per downstream pull. When its switch is shut
/// down it stops pulling (even a pull in progress is cancelled), disposes upstream and completes downstream,
/// so the elements already downstream drain (graceful drain). When the switch is aborted it does the same but
/// fails downstream with the reason. Upstream completion and failure pass through; downstream cancellation
/// cancels upstream.
/// </summary>
internal sealed class KillSwitchStage<T>(IAsyncEnumerable<T> upstream, SharedKillSwitch killSwitch, StreamContext context)
    : IAsyncEnumerable<T>
{
    internal static IAsyncEnumerable<T> ForGraph(IAsyncEnumerable<T> upstream, StreamContext context) =>
        context.GraphKillSwitch is { } ks ? new KillSwitchStage<T>(upstream, ks, context) : upstream;

    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        new Enumerator(upstream, killSwitch, context.Register("KillSwitch:" + killSwitch.Name), cancellationToken);

    private sealed class Enumerator : IAsyncEnumerator<T>
    {
        private readonly SharedKillSwitch _switch;
        private readonly StageLifetime _lifetime;
        private readonly CancellationTokenSource _upstreamCancel;
        private readonly IAsyncEnumerator<T> _upstream;
        private bool _upstreamDisposed;

        public Enumerator(IAsyncEnumerable<T> upstream, SharedKillSwitch killSwitch, StageLifetime lifetime, CancellationToken token)
        {
            _switch = killSwitch;
            _lifetime = lifetime;
            _upstreamCancel = CancellationTokenSource.CreateLinkedTokenSource(token);
            _upstream = upstream.GetAsyncEnumerator(_upstreamCancel.Token);
        }

        public T Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            if (_switch.IsTriggered)
            {
                return TerminateAsync(null);
            }
            var pull = _upstream.MoveNextAsync();
            if (pull.IsCompletedSuccessfully)
            {
                if (pull.Result)
                {
                    Current = _upstream.Current;
                    return new ValueTask<bool>(true);
                }
                return new ValueTask<bool>(false);
            }
            return SlowAsync(pull.AsTask());
        }

        private async ValueTask<bool> SlowAsync(Task<bool> pull)
        {
            var winner = await Task.WhenAny(pull, _switch.Triggered);
            if (winner != pull)
            {
                return await TerminateAsync(pull);
            }
            if (await pull)
            {
                Current = _upstream.Current;
                return true;
            }
            return false;
        }

        private async ValueTask<bool> TerminateAsync(Task<bool>? pending)
        {
            await _upstreamCancel.CancelAsync();
            if (pending is not null)
            {
                try
                {
                    await pending;
                }
#pragma warning disable CA1031 // the upstream is being cut off: its outcome no longer matters
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
            await DisposeUpstreamAsync();
            if (_switch.Reason is { } reason)
            {
                throw reason;
            }
            return false;
        }

        private async ValueTask DisposeUpstreamAsync()
        {
            if (_upstreamDisposed)
            {
                return;
            }
            _upstreamDisposed = true;
            try
            {
                await _upstream.DisposeAsync();
            }
            catch (OperationCanceledException) when (_switch.IsTriggered)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            try
            {
                await DisposeUpstreamAsync();
            }
            finally
            {
                _upstreamCancel.Dispose();
                _lifetime.Stop();
            }
        }
    }
}
