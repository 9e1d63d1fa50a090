namespace Alerting.Streams;

/// <summary>
/// The running side of one materialized stream: the clock its stages read, the supervision they default to,
/// the token that aborts the whole stream, and a registry of every stage that started, so a caller (or a test)
/// can check that each of them has stopped.
/// </summary>
public sealed class StreamContext : IDisposable
{
    private readonly CancellationTokenSource _abort = new();
    private readonly List<StageLifetime> _stages = [];
    private readonly Lock _gate = new();

    /// <summary>Creates a context over the given clock and default supervision.</summary>
    public StreamContext(TimeProvider? timeProvider = null, SupervisionStrategy? supervision = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        Supervision = supervision ?? SupervisionStrategy.Stopping;
    }

    /// <summary>The clock every time-based stage of this stream reads.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The supervision a stage uses when it is not given its own.</summary>
    public SupervisionStrategy Supervision { get; }

    /// <summary>Cancelled when the whole stream is aborted.</summary>
    public CancellationToken Aborted => _abort.Token;

    internal SharedKillSwitch? GraphKillSwitch { get; set; }

    /// <summary>Registers a stage that has started; the stage calls <see cref="StageLifetime.Stop"/> when it stops.</summary>
    public StageLifetime Register(string name)
    {
        var lifetime = new StageLifetime(name, null);
        lock (_gate)
        {
            _stages.Add(lifetime);
        }
        return lifetime;
    }

    /// <summary>Registers a background task of a stage; the stage counts as stopped when the task has completed.</summary>
    public void Track(string name, Task task)
    {
        ArgumentNullException.ThrowIfNull(task);
        lock (_gate)
        {
            _stages.Add(new StageLifetime(name, task));
        }
    }

    /// <summary>A snapshot of every stage registered so far.</summary>
    public IReadOnlyList<StageLifetime> Stages
    {
        get
        {
            lock (_gate)
            {
                return [.. _stages];
            }
        }
    }

    /// <summary>Cancels every stage of the stream.</summary>
    public void Abort()
    {
        try
        {
            _abort.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // already disposed: the stream has stopped.
        }
    }

    /// <inheritdoc />
    public void Dispose() => _abort.Dispose();
}

/// <summary>The lifetime of one running stage or one background task of a stage.</summary>
public sealed class StageLifetime
{
    private readonly Task? _task;
    private volatile bool _stopped;

    internal StageLifetime(string name, Task? task)
    {
        Name = name;
        _task = task;
    }

    /// <summary>The stage's name, for diagnostics.</summary>
    public string Name { get; }

    /// <summary>True once the stage has stopped (its enumerator was disposed, or its task completed).</summary>
    public bool IsStopped => _task?.IsCompleted ?? _stopped;

    /// <summary>Marks the stage stopped.</summary>
    public void Stop() => _stopped = true;

    /// <inheritdoc />
    public override string ToString() => $"{Name} ({(IsStopped ? "stopped" : "running")})";
}
