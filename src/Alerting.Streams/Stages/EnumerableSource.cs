namespace Alerting.Streams.Stages;

/// <summary>
/// Source.From: emits the elements of an in-memory sequence, one per pull, in order. Pulls the sequence only
/// when pulled itself. Completes after the last element. Fails if the sequence throws; stops (throwing
/// <see cref="OperationCanceledException"/>) when its token is cancelled.
/// </summary>
internal sealed class EnumerableSource<T>(IEnumerable<T> items, StreamContext context) : IAsyncEnumerable<T>
{
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) =>
        items is T[] array
            ? new ArrayEnumerator(array, context.Register("Source.From"), cancellationToken)
            : new Enumerator(items.GetEnumerator(), context.Register("Source.From"), cancellationToken);

    private sealed class ArrayEnumerator(T[] array, StageLifetime lifetime, CancellationToken token) : IAsyncEnumerator<T>
    {
        private int _index = -1;

        public T Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            token.ThrowIfCancellationRequested();
            var next = _index + 1;
            if ((uint)next < (uint)array.Length)
            {
                _index = next;
                Current = array[next];
                return new ValueTask<bool>(true);
            }
            _index = array.Length;
            return new ValueTask<bool>(false);
        }

        public ValueTask DisposeAsync()
        {
            lifetime.Stop();
            return default;
        }
    }

    private sealed class Enumerator(IEnumerator<T> inner, StageLifetime lifetime, CancellationToken token) : IAsyncEnumerator<T>
    {
        public T Current { get; private set; } = default!;

        public ValueTask<bool> MoveNextAsync()
        {
            token.ThrowIfCancellationRequested();
            if (inner.MoveNext())
            {
                Current = inner.Current;
                return new ValueTask<bool>(true);
            }
            return new ValueTask<bool>(false);
        }

        public ValueTask DisposeAsync()
        {
            inner.Dispose();
            lifetime.Stop();
            return default;
        }
    }
}
