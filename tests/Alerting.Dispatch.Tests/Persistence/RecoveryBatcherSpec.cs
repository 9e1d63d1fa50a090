using Alerting.Dispatch.Persistence;

namespace Alerting.Dispatch.Tests.Persistence;

public sealed class RecoveryBatcherSpec
{
    private sealed class Recording
    {
        private readonly Lock _gate = new();
        private readonly List<IReadOnlyList<string>> _batches = [];

        public TaskCompletionSource Release { get; set; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Started { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public IReadOnlyList<IReadOnlyList<string>> Batches
        {
            get
            {
                lock (_gate)
                {
                    return [.. _batches];
                }
            }
        }

        public async Task LoadAsync(IReadOnlyList<HighestSequenceNrRequest> batch, CancellationToken ct)
        {
            lock (_gate)
            {
                _batches.Add([.. batch.Select(r => r.PersistenceId)]);
            }
            Started.TrySetResult();
            await Release.Task.WaitAsync(ct);
            foreach (var r in batch)
            {
                r.Complete(r.PersistenceId.Length);
            }
        }
    }

    [Fact]
    public async Task Requests_arriving_while_a_load_runs_are_answered_together_by_the_next_load()
    {
        var load = new Recording();
        await using var batcher = new RecoveryBatcher<HighestSequenceNrRequest>(load.LoadAsync, maxBatch: 10, maxInFlight: 1);

        var first = new HighestSequenceNrRequest("a");
        batcher.Enqueue(first);
        await load.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var waiting = new[] { "bb", "ccc", "dddd" }.Select(id => new HighestSequenceNrRequest(id)).ToList();
        waiting.ForEach(batcher.Enqueue);
        load.Release.SetResult();

        Assert.Equal(1, await first.Answer.WaitAsync(TimeSpan.FromSeconds(30)));
        var answers = await Task.WhenAll(waiting.Select(r => r.Answer)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.Equal(new long[] { 2, 3, 4 }, answers);
        Assert.Equal([["a"], ["bb", "ccc", "dddd"]], load.Batches);
    }

    [Fact]
    public async Task A_batch_is_never_larger_than_its_limit()
    {
        var load = new Recording();
        await using var batcher = new RecoveryBatcher<HighestSequenceNrRequest>(load.LoadAsync, maxBatch: 2, maxInFlight: 1);
        var blocker = new HighestSequenceNrRequest("x");
        batcher.Enqueue(blocker);
        await load.Started.Task.WaitAsync(TimeSpan.FromSeconds(30));
        var requests = Enumerable.Range(1, 5).Select(i => new HighestSequenceNrRequest(new string('r', i))).ToList();
        requests.ForEach(batcher.Enqueue);
        load.Release.SetResult();

        await Task.WhenAll(requests.Select(r => r.Answer)).WaitAsync(TimeSpan.FromSeconds(30));
        Assert.All(load.Batches, b => Assert.InRange(b.Count, 1, 2));
        Assert.Equal(6, load.Batches.Sum(b => b.Count));
    }

    [Fact]
    public async Task A_load_that_fails_fails_every_request_of_its_batch_and_the_next_batch_is_served()
    {
        var calls = 0;
        await using var batcher = new RecoveryBatcher<HighestSequenceNrRequest>((batch, _) =>
        {
            if (Interlocked.Increment(ref calls) == 1)
            {
                throw new InvalidOperationException("database down");
            }
            foreach (var r in batch)
            {
                r.Complete(7);
            }
            return Task.CompletedTask;
        }, maxBatch: 10, maxInFlight: 1);

        var failed = new HighestSequenceNrRequest("a");
        batcher.Enqueue(failed);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => failed.Answer.WaitAsync(TimeSpan.FromSeconds(30)));
        Assert.Equal("database down", error.Message);

        var next = new HighestSequenceNrRequest("b");
        batcher.Enqueue(next);
        Assert.Equal(7, await next.Answer.WaitAsync(TimeSpan.FromSeconds(30)));
    }

    [Fact]
    public async Task A_request_after_disposal_fails()
    {
        var batcher = new RecoveryBatcher<HighestSequenceNrRequest>((_, _) => Task.CompletedTask, maxBatch: 10, maxInFlight: 2);
        await batcher.DisposeAsync();
        var late = new HighestSequenceNrRequest("a");
        batcher.Enqueue(late);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => late.Answer.WaitAsync(TimeSpan.FromSeconds(30)));
    }
}
