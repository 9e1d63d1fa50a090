namespace Alerting.Streams;

/// <summary>Settings shared by the streams it runs: the clock and the default supervision.</summary>
public sealed class Materializer
{
    /// <summary>Creates a materializer.</summary>
    public Materializer(TimeProvider? timeProvider = null, SupervisionStrategy? supervision = null)
    {
        TimeProvider = timeProvider ?? TimeProvider.System;
        Supervision = supervision ?? SupervisionStrategy.Stopping;
    }

    /// <summary>The default materializer: system clock, stop on failure.</summary>
    public static Materializer Default { get; } = new();

    /// <summary>The clock of every stream it runs.</summary>
    public TimeProvider TimeProvider { get; }

    /// <summary>The default supervision of stages.</summary>
    public SupervisionStrategy Supervision { get; }
}

/// <summary>A source connected to a sink: ready to run, reusable (each run is a new stream).</summary>
public sealed class RunnableGraph<TResult>
{
    private readonly Func<StreamContext, Task<TResult>> _run;

    internal RunnableGraph(Func<StreamContext, Task<TResult>> run) => _run = run;

    /// <summary>Starts the stream on the thread pool and returns its handle.</summary>
    public StreamHandle<TResult> Run(Materializer? materializer = null)
    {
        materializer ??= Materializer.Default;
        var context = new StreamContext(materializer.TimeProvider, materializer.Supervision);
        var killSwitch = new SharedKillSwitch("graph");
        context.GraphKillSwitch = killSwitch;
        var completion = Task.Run(() => _run(context), CancellationToken.None);
        context.Track("sink", completion);
        return new StreamHandle<TResult>(context, killSwitch, completion);
    }
}

/// <summary>
/// A running stream: its completion, its stages (for the "all stages stopped" check), and the controls to
/// drain it gracefully (stop taking input from the source, finish what is in flight) or abort it.
/// </summary>
public sealed class StreamHandle<TResult>
{
    private readonly SharedKillSwitch _killSwitch;

    internal StreamHandle(StreamContext context, SharedKillSwitch killSwitch, Task<TResult> completion)
    {
        Context = context;
        _killSwitch = killSwitch;
        Completion = completion;
    }

    /// <summary>The stream's context, holding the registry of its stages.</summary>
    public StreamContext Context { get; }

    /// <summary>Completes with the sink's result when the stream completes; faults when it fails.</summary>
    public Task<TResult> Completion { get; }

    /// <summary>Stops taking input from the source; elements already past it are processed and the stream completes.</summary>
    public void Shutdown() => _killSwitch.Shutdown();

    /// <summary>Shuts the stream down gracefully and waits for it to finish.</summary>
    public async Task<TResult> DrainAsync(CancellationToken cancellationToken)
    {
        _killSwitch.Shutdown();
        return await Completion.WaitAsync(cancellationToken);
    }

    /// <summary>Fails the stream at its source with <paramref name="reason"/>.</summary>
    public void Abort(Exception reason) => _killSwitch.Abort(reason);

    /// <summary>Cancels every stage at once (no drain).</summary>
    public void Cancel() => Context.Abort();
}
