namespace Alerting.Streams;

/// <summary>
/// A kill switch shared by any number of stages (<see cref="Flow{T}"/>): <see cref="Shutdown"/> makes each of
/// them stop taking input and complete downstream, so what is already past them drains; <see cref="Abort"/>
/// makes each of them fail downstream with the reason. Either way their upstream is cancelled.
/// </summary>
public sealed class SharedKillSwitch
{
    private readonly TaskCompletionSource _triggered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile Exception? _reason;
    private volatile bool _isTriggered;

    /// <summary>Creates a kill switch.</summary>
    public SharedKillSwitch(string name) => Name = name;

    /// <summary>The name, for diagnostics.</summary>
    public string Name { get; }

    /// <summary>True once shut down or aborted.</summary>
    public bool IsTriggered => _isTriggered;

    /// <summary>The abort reason, or null after a shutdown (or while running).</summary>
    public Exception? Reason => _reason;

    internal Task Triggered => _triggered.Task;

    /// <summary>Stops the guarded stages gracefully: they complete downstream and cancel upstream.</summary>
    public void Shutdown() => Trigger(null);

    /// <summary>Fails the guarded stages with <paramref name="reason"/>.</summary>
    public void Abort(Exception reason) => Trigger(reason ?? throw new ArgumentNullException(nameof(reason)));

    private void Trigger(Exception? reason)
    {
        lock (_triggered)
        {
            if (_isTriggered)
            {
                return;
            }
            _reason = reason;
            _isTriggered = true;
        }
        _triggered.TrySetResult();
    }

    /// <summary>A flow guarded by this switch; it can be used in many places and streams.</summary>
    public Flow<T, T> Flow<T>() => new((up, ctx) => new Stages.KillSwitchStage<T>(up, this, ctx));
}
