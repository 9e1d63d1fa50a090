namespace Alerting.Service.Pipeline;

/// <summary>
/// The counters the live status line and the summary line print. Stages add to them with
/// <see cref="Interlocked"/>; readers take a consistent-enough snapshot.
/// </summary>
public sealed class PipelineCounters
{
    private long _eventsIn;
    private long _alertsOut;
    private long _revokesOut;
    private long _dispatched;
    private long _deadLetter;
    private long _late;

    public long EventsIn => Interlocked.Read(ref _eventsIn);
    public long AlertsOut => Interlocked.Read(ref _alertsOut);
    public long RevokesOut => Interlocked.Read(ref _revokesOut);
    public long Dispatched => Interlocked.Read(ref _dispatched);
    public long DeadLetter => Interlocked.Read(ref _deadLetter);
    public long Late => Interlocked.Read(ref _late);

    public void AddEventsIn(long n) => Interlocked.Add(ref _eventsIn, n);
    public void AddAlertsOut(long n) => Interlocked.Add(ref _alertsOut, n);
    public void AddRevokesOut(long n) => Interlocked.Add(ref _revokesOut, n);
    public void AddDispatched(long n) => Interlocked.Add(ref _dispatched, n);

    /// <summary>Takes the dispatcher's own running total of dispatches sent.</summary>
    public void ObserveDispatched(long total) => Interlocked.Exchange(ref _dispatched, total);
    public void AddDeadLetter(long n) => Interlocked.Add(ref _deadLetter, n);
    public void AddLate(long n) => Interlocked.Add(ref _late, n);

    /// <summary>
    /// The final line: <c>summary events_in=N alerts_out=N dispatched=N dead_letter=N late=N</c>.
    /// Scripts parse it: extend at the end, never rename.
    /// </summary>
    public string SummaryLine() =>
        $"summary events_in={EventsIn} alerts_out={AlertsOut} dispatched={Dispatched} dead_letter={DeadLetter} late={Late}";
}
