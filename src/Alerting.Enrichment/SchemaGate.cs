namespace Alerting.Enrichment;

/// <summary>
/// Applies a store's schema at most once, on first use, when the store is configured to; concurrent first
/// callers wait for the one that applies it. A failed attempt is retried by the next caller.
/// </summary>
public sealed class SchemaGate
{
    private readonly Func<CancellationToken, Task> _apply;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private volatile bool _ready;

    /// <param name="apply">Applies the schema; it calls <see cref="MarkApplied"/> when done.</param>
    /// <param name="autoInitialize">False: the schema is managed elsewhere and never applied on first use.</param>
    public SchemaGate(Func<CancellationToken, Task> apply, bool autoInitialize)
    {
        _apply = apply ?? throw new ArgumentNullException(nameof(apply));
        _ready = !autoInitialize;
    }

    /// <summary>Records that the schema is in place (also after an explicit apply).</summary>
    public void MarkApplied() => _ready = true;

    /// <summary>Completes at once when the schema is in place; otherwise applies it once.</summary>
    public ValueTask EnsureAsync(CancellationToken cancellationToken) =>
        _ready ? ValueTask.CompletedTask : new ValueTask(ApplyOnceAsync(cancellationToken));

    private async Task ApplyOnceAsync(CancellationToken cancellationToken)
    {
        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (!_ready)
            {
                await _apply(cancellationToken);
                _ready = true;
            }
        }
        finally
        {
            _lock.Release();
        }
    }
}
