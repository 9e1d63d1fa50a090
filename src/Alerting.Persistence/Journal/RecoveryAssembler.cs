namespace Alerting.Persistence;

/// <summary>
/// Groups a stream of events ordered by persistence id (then sequence number) into <see cref="RecoveredEntity"/>
/// values, attaching each id's snapshot; the snapshots of ids without later events are yielded at the end.
/// </summary>
internal sealed class RecoveryAssembler(Dictionary<string, SelectedSnapshot> snapshots)
{
    private string? _current;
    private List<PersistentEvent> _events = [];

    /// <summary>Adds the next event; returns the previous entity when this event starts a new persistence id.</summary>
    public RecoveredEntity? Add(PersistentEvent e)
    {
        RecoveredEntity? done = null;
        if (_current is not null && !string.Equals(_current, e.PersistenceId, StringComparison.Ordinal))
        {
            done = Complete();
        }
        _current ??= e.PersistenceId;
        _events.Add(e);
        return done;
    }

    /// <summary>The last entity of the stream (if any), then the snapshot-only ones.</summary>
    public IEnumerable<RecoveredEntity> Finish()
    {
        if (_current is not null)
        {
            yield return Complete();
        }
        foreach (var (id, snapshot) in snapshots)
        {
            yield return new RecoveredEntity(id, snapshot, []);
        }
        snapshots.Clear();
    }

    private RecoveredEntity Complete()
    {
        var id = _current!;
        snapshots.Remove(id, out var snapshot);
        var entity = new RecoveredEntity(id, snapshot, _events);
        _events = [];
        _current = null;
        return entity;
    }
}
