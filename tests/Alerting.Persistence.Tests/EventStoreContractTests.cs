using System.Text;

namespace Alerting.Persistence.Tests;

/// <summary>
/// The contract every <see cref="IEventStore"/> passes (the Akka persistence TCK cases plus offsets and bulk
/// recovery). Subclassed once per backend; each test works on its own persistence ids and partition keys.
/// </summary>
public abstract class EventStoreContractTests
{
    protected static readonly DateTimeOffset Start = new(2026, 11, 22, 8, 0, 0, TimeSpan.Zero);

    private IEventStore? _store;

    protected ManualTimeProvider Clock { get; } = new(Start);

    protected IEventStore Store => _store ??= CreateStore(Clock);

    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromMinutes(2));

    protected CancellationToken Ct => _timeout.Token;

    /// <summary>A store over this test class's database, using <paramref name="time"/> for timestamps.</summary>
    protected abstract IEventStore CreateStore(TimeProvider time);

    private static string NewId(string prefix = "device") => $"{prefix}-{Guid.NewGuid():N}";

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    private static JournalWrite Event(string id, long seq, string partition = "p", string? body = null) =>
        new(id, partition, seq, "Test:1", Bytes(body ?? $"{id}#{seq}"));

    private async Task<string> WriteEventsAsync(int count, string? partition = null)
    {
        var id = NewId();
        var events = Enumerable.Range(1, count).Select(i => Event(id, i, partition ?? "p")).ToList();
        await Store.WriteAsync(events, [], Ct);
        return id;
    }

    private async Task<List<long>> ReplaySeqsAsync(string id, long from = 1, long to = long.MaxValue, long max = long.MaxValue)
    {
        var result = new List<long>();
        await foreach (var e in Store.ReplayAsync(id, from, to, max, Ct))
        {
            result.Add(e.SequenceNr);
        }
        return result;
    }

    private async Task<List<PersistentEvent>> ReplayAllAsync(string id, long from = 1)
    {
        var result = new List<PersistentEvent>();
        await foreach (var e in Store.ReplayAsync(id, from, long.MaxValue, long.MaxValue, Ct))
        {
            result.Add(e);
        }
        return result;
    }

    // ---- replay bounds ----

    [Fact]
    public async Task A_journal_must_replay_all_events_in_order_with_manifest_payload_and_timestamp()
    {
        var id = await WriteEventsAsync(5);
        var events = await ReplayAllAsync(id);
        Assert.Equal([1L, 2, 3, 4, 5], events.Select(e => e.SequenceNr));
        Assert.All(events, e =>
        {
            Assert.Equal(id, e.PersistenceId);
            Assert.Equal("Test:1", e.Manifest);
            Assert.Equal($"{id}#{e.SequenceNr}", Encoding.UTF8.GetString(e.Payload));
            Assert.Equal(Start, e.Timestamp);
        });
    }

    [Fact]
    public async Task A_journal_must_replay_events_from_a_lower_sequence_nr_bound()
    {
        var id = await WriteEventsAsync(5);
        Assert.Equal([3L, 4, 5], await ReplaySeqsAsync(id, from: 3));
    }

    [Fact]
    public async Task A_journal_must_replay_events_up_to_an_upper_sequence_nr_bound()
    {
        var id = await WriteEventsAsync(5);
        Assert.Equal([1L, 2, 3], await ReplaySeqsAsync(id, to: 3));
    }

    [Fact]
    public async Task A_journal_must_replay_at_most_max_events()
    {
        var id = await WriteEventsAsync(5);
        Assert.Equal([2L, 3], await ReplaySeqsAsync(id, from: 2, max: 2));
    }

    [Fact]
    public async Task A_journal_must_replay_nothing_when_max_is_zero()
    {
        var id = await WriteEventsAsync(5);
        Assert.Empty(await ReplaySeqsAsync(id, max: 0));
    }

    [Fact]
    public async Task A_journal_must_replay_nothing_when_from_is_greater_than_to()
    {
        var id = await WriteEventsAsync(5);
        Assert.Empty(await ReplaySeqsAsync(id, from: 4, to: 3));
    }

    [Fact]
    public async Task A_journal_must_replay_a_single_event_when_from_equals_to()
    {
        var id = await WriteEventsAsync(5);
        Assert.Equal([2L], await ReplaySeqsAsync(id, from: 2, to: 2));
    }

    [Fact]
    public async Task A_journal_must_replay_nothing_for_an_unknown_persistence_id()
    {
        Assert.Empty(await ReplaySeqsAsync(NewId()));
    }

    // ---- highest sequence number and deletes ----

    [Fact]
    public async Task A_journal_must_return_highest_sequence_nr_0_for_an_unknown_persistence_id()
    {
        Assert.Equal(0, await Store.ReadHighestSequenceNrAsync(NewId(), Ct));
    }

    [Fact]
    public async Task A_journal_must_return_the_highest_sequence_nr_written()
    {
        var id = await WriteEventsAsync(7);
        Assert.Equal(7, await Store.ReadHighestSequenceNrAsync(id, Ct));
    }

    [Fact]
    public async Task A_journal_must_not_replay_deleted_events()
    {
        var id = await WriteEventsAsync(5);
        await Store.DeleteEventsToAsync(id, 3, Ct);
        Assert.Equal([4L, 5], await ReplaySeqsAsync(id));
        Assert.Equal(5, await Store.ReadHighestSequenceNrAsync(id, Ct));
    }

    [Fact]
    public async Task A_journal_must_not_reset_the_highest_sequence_nr_when_all_events_are_deleted()
    {
        var id = await WriteEventsAsync(5);
        await Store.DeleteEventsToAsync(id, long.MaxValue, Ct);
        Assert.Empty(await ReplaySeqsAsync(id));
        Assert.Equal(5, await Store.ReadHighestSequenceNrAsync(id, Ct));

        // Writing on continues after the highest sequence number.
        await Store.WriteAsync([Event(id, 6)], [], Ct);
        Assert.Equal([6L], await ReplaySeqsAsync(id));
        Assert.Equal(6, await Store.ReadHighestSequenceNrAsync(id, Ct));
    }

    [Fact]
    public async Task A_journal_must_still_fence_a_writer_at_the_highest_sequence_nr_after_deleting_all_events()
    {
        var id = await WriteEventsAsync(3);
        await Store.DeleteEventsToAsync(id, 3, Ct);
        await Assert.ThrowsAsync<JournalConcurrencyException>(() => Store.WriteAsync([Event(id, 3, body: "stale")], [], Ct));
        Assert.Empty(await ReplaySeqsAsync(id));
    }

    // ---- atomic writes and fencing ----

    [Theory]
    [InlineData(2)]
    [InlineData(30)]
    [InlineData(400)]
    public async Task A_journal_must_write_a_batch_of_many_persistence_ids_atomically(int perId)
    {
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();
        var batch = ids.SelectMany(id => Enumerable.Range(1, perId).Select(i => Event(id, i))).ToList();
        await Store.WriteAsync(batch, [], Ct);
        foreach (var id in ids)
        {
            var events = await ReplayAllAsync(id);
            Assert.Equal(Enumerable.Range(1, perId).Select(i => (long)i), events.Select(e => e.SequenceNr));
            Assert.Equal($"{id}#{perId}", Encoding.UTF8.GetString(events[^1].Payload));
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public async Task A_journal_must_reject_a_batch_with_one_conflicting_event_without_touching_other_data(int size)
    {
        var existing = await WriteEventsAsync(2);
        var fresh = NewId();
        var batch = Enumerable.Range(1, size).Select(i => Event(fresh, i)).Append(Event(existing, 2, body: "intruder")).ToList();

        await Assert.ThrowsAsync<JournalConcurrencyException>(() => Store.WriteAsync(batch, [], Ct));

        Assert.Equal(0, await Store.ReadHighestSequenceNrAsync(fresh, Ct));
        var kept = await ReplayAllAsync(existing);
        Assert.Equal([$"{existing}#1", $"{existing}#2"], kept.Select(e => Encoding.UTF8.GetString(e.Payload)));

        // The rejected batch's fresh id can be written afterwards.
        await Store.WriteAsync([Event(fresh, 1)], [], Ct);
        Assert.Equal(1, await Store.ReadHighestSequenceNrAsync(fresh, Ct));
    }

    [Fact]
    public async Task A_journal_must_reject_a_batch_with_an_invalid_event_before_writing_anything()
    {
        var fresh = NewId();
        JournalWrite[] batch = [Event(fresh, 1), Event(fresh, 2), Event(NewId(), 0)];
        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync(batch, [], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync([Event(fresh, 1), Event(fresh, 1)], [], Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => Store.WriteAsync([Event(fresh, 1) with { Manifest = "" }], [], Ct));
        Assert.Equal(0, await Store.ReadHighestSequenceNrAsync(fresh, Ct));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public async Task A_journal_must_fail_one_of_two_concurrent_writers_at_the_same_sequence_nr(int size)
    {
        var id = NewId();
        var other = CreateStore(Clock);
        var a = Enumerable.Range(1, size).Select(i => Event(id, i, body: $"a{i}")).ToList();
        var b = Enumerable.Range(1, size).Select(i => Event(id, i, body: $"b{i}")).ToList();

        var results = await Task.WhenAll(Attempt(Store, a), Attempt(other, b));

        Assert.Equal(1, results.Count(r => r is null));
        Assert.Single(results, r => r is JournalConcurrencyException);
        var winner = results[0] is null ? "a" : "b";
        var events = await ReplayAllAsync(id);
        Assert.Equal(Enumerable.Range(1, size).Select(i => $"{winner}{i}"), events.Select(e => Encoding.UTF8.GetString(e.Payload)));

        async Task<Exception?> Attempt(IEventStore store, List<JournalWrite> batch)
        {
            try
            {
                await store.WriteAsync(batch, [], Ct);
                return null;
            }
            catch (JournalConcurrencyException ex)
            {
                return ex;
            }
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(100)]
    public async Task A_journal_must_fail_one_of_two_concurrent_writers_whose_batches_cross(int perId)
    {
        // The same keys in opposite orders: whichever way the two transactions interleave, one wins whole.
        var ids = Enumerable.Range(0, 4).Select(_ => NewId()).ToList();
        var other = CreateStore(Clock);
        var a = ids.SelectMany(id => Enumerable.Range(1, perId).Select(i => Event(id, i, body: "a"))).ToList();
        var b = Enumerable.Reverse(ids).SelectMany(id => Enumerable.Range(1, perId).Select(i => Event(id, i, body: "b"))).ToList();

        var results = await Task.WhenAll(Attempt(Store, a), Attempt(other, b));

        Assert.Single(results, r => r is null);
        Assert.Single(results, r => r is JournalConcurrencyException);
        var winner = results[0] is null ? "a" : "b";
        foreach (var id in ids)
        {
            var events = await ReplayAllAsync(id);
            Assert.Equal(perId, events.Count);
            Assert.All(events, e => Assert.Equal(winner, Encoding.UTF8.GetString(e.Payload)));
        }

        async Task<Exception?> Attempt(IEventStore store, List<JournalWrite> batch)
        {
            try
            {
                await store.WriteAsync(batch, [], Ct);
                return null;
            }
            catch (JournalConcurrencyException ex)
            {
                return ex;
            }
        }
    }

    // ---- consumer offsets ----

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public async Task A_journal_must_store_consumer_offsets_with_the_events_they_produced(int size)
    {
        var group = NewId("group");
        var id = NewId();
        await Store.WriteAsync(
            [.. Enumerable.Range(1, size).Select(i => Event(id, i))],
            [new ConsumerOffset(group, "alerts", 3, 100), new ConsumerOffset(group, "alerts", 4, 7), new ConsumerOffset(group, "other", 3, 1)],
            Ct);
        Assert.Equal(new Dictionary<int, long> { [3] = 100, [4] = 7 }, await Store.ReadOffsetsAsync(group, "alerts", Ct));
        Assert.Equal(size, await Store.ReadHighestSequenceNrAsync(id, Ct));

        await Store.WriteAsync([Event(id, size + 1)], [new ConsumerOffset(group, "alerts", 3, 150)], Ct);
        Assert.Equal(new Dictionary<int, long> { [3] = 150, [4] = 7 }, await Store.ReadOffsetsAsync(group, "alerts", Ct));
        Assert.Empty(await Store.ReadOffsetsAsync(NewId("group"), "alerts", Ct));
    }

    [Fact]
    public async Task A_journal_must_keep_the_last_of_repeated_offsets_in_one_batch()
    {
        var group = NewId("group");
        await Store.WriteAsync([], [new ConsumerOffset(group, "alerts", 0, 5), new ConsumerOffset(group, "alerts", 0, 9)], Ct);
        Assert.Equal(new Dictionary<int, long> { [0] = 9 }, await Store.ReadOffsetsAsync(group, "alerts", Ct));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(200)]
    public async Task A_journal_must_commit_neither_events_nor_offsets_of_a_failed_batch(int size)
    {
        var group = NewId("group");
        var existing = await WriteEventsAsync(1);
        await Store.WriteAsync([], [new ConsumerOffset(group, "alerts", 0, 10)], Ct);
        var fresh = NewId();
        var batch = Enumerable.Range(1, size).Select(i => Event(fresh, i)).Append(Event(existing, 1, body: "stale")).ToList();

        await Assert.ThrowsAsync<JournalConcurrencyException>(() => Store.WriteAsync(batch, [new ConsumerOffset(group, "alerts", 0, 20)], Ct));

        Assert.Equal(new Dictionary<int, long> { [0] = 10 }, await Store.ReadOffsetsAsync(group, "alerts", Ct));
        Assert.Equal(0, await Store.ReadHighestSequenceNrAsync(fresh, Ct));
    }

    // ---- snapshots ----

    private async Task<string> SaveSnapshotsAsync(params (long Seq, int Minutes)[] snapshots)
    {
        var id = NewId();
        foreach (var (seq, minutes) in snapshots)
        {
            await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(id, seq, Start.AddMinutes(minutes)), "p", "State:1", Bytes($"s{seq}")), Ct);
        }
        return id;
    }

    [Fact]
    public async Task A_snapshot_store_must_load_nothing_for_an_unknown_persistence_id()
    {
        Assert.Null(await Store.LoadSnapshotAsync(NewId(), SnapshotSelectionCriteria.Latest, Ct));
    }

    [Fact]
    public async Task A_snapshot_store_must_load_the_latest_snapshot()
    {
        var id = await SaveSnapshotsAsync((10, 1), (20, 2), (30, 3));
        var loaded = await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, Ct);
        Assert.NotNull(loaded);
        Assert.Equal(new SnapshotMetadata(id, 30, Start.AddMinutes(3)), loaded.Metadata);
        Assert.Equal("State:1", loaded.Manifest);
        Assert.Equal("s30", Encoding.UTF8.GetString(loaded.Payload));
    }

    [Fact]
    public async Task A_snapshot_store_must_load_the_latest_snapshot_up_to_a_max_sequence_nr()
    {
        var id = await SaveSnapshotsAsync((10, 1), (20, 2), (30, 3));
        var loaded = await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(25, DateTimeOffset.MaxValue), Ct);
        Assert.Equal(20, loaded?.Metadata.SequenceNr);
        Assert.Null(await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(9, DateTimeOffset.MaxValue), Ct));
    }

    [Fact]
    public async Task A_snapshot_store_must_load_the_latest_snapshot_up_to_a_max_timestamp()
    {
        var id = await SaveSnapshotsAsync((10, 1), (20, 2), (30, 3));
        var loaded = await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(long.MaxValue, Start.AddMinutes(2)), Ct);
        Assert.Equal(20, loaded?.Metadata.SequenceNr);
        Assert.Null(await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(long.MaxValue, Start), Ct));
    }

    [Fact]
    public async Task A_snapshot_store_must_honour_lower_bounds_of_the_criteria()
    {
        var id = await SaveSnapshotsAsync((10, 1), (20, 2), (30, 3));
        Assert.Null(await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(25, DateTimeOffset.MaxValue, MinSequenceNr: 21), Ct));
        Assert.Null(await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(25, DateTimeOffset.MaxValue, MinTimestamp: Start.AddMinutes(3)), Ct));
        Assert.Equal(30, (await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest with { MinSequenceNr = 30 }, Ct))?.Metadata.SequenceNr);
    }

    [Fact]
    public async Task A_snapshot_store_must_overwrite_a_snapshot_at_the_same_sequence_nr()
    {
        var id = await SaveSnapshotsAsync((10, 1));
        await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(id, 10, Start.AddMinutes(5)), "p", "State:2", Bytes("again")), Ct);
        var loaded = await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, Ct);
        Assert.Equal(new SnapshotMetadata(id, 10, Start.AddMinutes(5)), loaded?.Metadata);
        Assert.Equal("State:2", loaded?.Manifest);
        Assert.Equal("again", Encoding.UTF8.GetString(loaded!.Payload));
    }

    [Fact]
    public async Task A_snapshot_store_must_save_and_load_a_large_snapshot()
    {
        var id = NewId();
        var payload = new byte[8 * 1024 * 1024];
        new Random(42).NextBytes(payload);
        await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(id, 1, Start), "p", "State:1", payload), Ct);
        var loaded = await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, Ct);
        Assert.True(payload.AsSpan().SequenceEqual(loaded!.Payload));
    }

    [Fact]
    public async Task A_snapshot_store_must_delete_only_the_snapshots_matching_the_criteria()
    {
        var id = await SaveSnapshotsAsync((10, 1), (20, 2), (30, 3));
        await Store.DeleteSnapshotsAsync(id, new SnapshotSelectionCriteria(20, DateTimeOffset.MaxValue, MinSequenceNr: 15), Ct);
        Assert.Equal(30, (await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, Ct))?.Metadata.SequenceNr);
        Assert.Equal(10, (await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(29, DateTimeOffset.MaxValue), Ct))?.Metadata.SequenceNr);

        await Store.DeleteSnapshotsAsync(id, new SnapshotSelectionCriteria(long.MaxValue, Start.AddMinutes(2)), Ct);
        Assert.Null(await Store.LoadSnapshotAsync(id, new SnapshotSelectionCriteria(29, DateTimeOffset.MaxValue), Ct));
        Assert.Equal(30, (await Store.LoadSnapshotAsync(id, SnapshotSelectionCriteria.Latest, Ct))?.Metadata.SequenceNr);
    }

    // ---- bulk recovery ----

    [Fact]
    public async Task A_partition_recovery_must_equal_per_id_snapshot_load_and_replay()
    {
        var partition = NewId("alerts");
        var noise = NewId("alerts");
        var ids = Enumerable.Range(0, 12).Select(i => NewId()).ToList();
        var batch = new List<JournalWrite>();
        for (var i = 0; i < ids.Count; i++)
        {
            // Entity i has i + 1 events; snapshot-only entity 11 has its events deleted.
            // Manifests vary (more kinds than a reader might cache) and must come back per event.
            batch.AddRange(Enumerable.Range(1, i + 1).Select(s => Event(ids[i], s, partition) with { Manifest = $"Kind{(i * 7 + s) % 23}:1" }));
        }
        batch.AddRange(Enumerable.Range(1, 4).Select(s => Event(NewId(), s, noise)));
        await Store.WriteAsync(batch, [], Ct);
        for (var i = 0; i < ids.Count; i += 3)
        {
            await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(ids[i], i / 2, Start), partition, "State:1", Bytes($"old{i}")), Ct);
            await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(ids[i], i, Start), partition, "State:1", Bytes($"snap{i}")), Ct);
        }
        await Store.DeleteEventsToAsync(ids[4], 2, Ct);
        await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(ids[11], 12, Start), partition, "State:1", Bytes("snap11")), Ct);
        await Store.DeleteEventsToAsync(ids[11], 12, Ct);
        var snapshotOnly = NewId();
        await Store.SaveSnapshotAsync(new SnapshotWrite(new SnapshotMetadata(snapshotOnly, 3, Start), partition, "State:1", Bytes("alone")), Ct);

        var recovered = new List<RecoveredEntity>();
        await foreach (var entity in Store.RecoverPartitionAsync(partition, Ct))
        {
            recovered.Add(entity);
        }

        var expectedIds = ids.Append(snapshotOnly).Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expectedIds, recovered.Select(r => r.PersistenceId).Order(StringComparer.Ordinal));
        foreach (var entity in recovered)
        {
            var snapshot = await Store.LoadSnapshotAsync(entity.PersistenceId, SnapshotSelectionCriteria.Latest, Ct);
            var events = await ReplayAllAsync(entity.PersistenceId, (snapshot?.Metadata.SequenceNr ?? 0) + 1);
            Assert.Equal(snapshot?.Metadata, entity.Snapshot?.Metadata);
            Assert.Equal(snapshot?.Payload, entity.Snapshot?.Payload);
            Assert.Equal(events.Select(e => (e.SequenceNr, e.Manifest, Encoding.UTF8.GetString(e.Payload))),
                entity.Events.Select(e => (e.SequenceNr, e.Manifest, Encoding.UTF8.GetString(e.Payload))));
            Assert.All(entity.Events, e => Assert.Equal(entity.PersistenceId, e.PersistenceId));
        }
        Assert.Equal(11, recovered.Single(r => r.PersistenceId == ids[10]).HighestSequenceNr);
        Assert.Equal("snap9", Encoding.UTF8.GetString(recovered.Single(r => r.PersistenceId == ids[9]).Snapshot!.Payload));
        Assert.Equal([10L], recovered.Single(r => r.PersistenceId == ids[9]).Events.Select(e => e.SequenceNr));
        Assert.Equal([3L, 4, 5], recovered.Single(r => r.PersistenceId == ids[4]).Events.Select(e => e.SequenceNr));
        Assert.Empty(recovered.Single(r => r.PersistenceId == ids[11]).Events);
    }

    [Fact]
    public async Task A_partition_recovery_must_stream_every_entity_of_a_partition_without_snapshots()
    {
        var partition = NewId("alerts");
        var ids = Enumerable.Range(0, 5).Select(_ => NewId()).ToList();
        // Interleaved across batches, as a dispatcher writes them.
        for (var round = 1; round <= 3; round++)
        {
            await Store.WriteAsync([.. ids.Select(id => Event(id, round, partition))], [], Ct);
        }
        await Store.DeleteEventsToAsync(ids[0], 1, Ct);

        var recovered = new List<RecoveredEntity>();
        await foreach (var entity in Store.RecoverPartitionAsync(partition, Ct))
        {
            recovered.Add(entity);
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), recovered.Select(r => r.PersistenceId).Order(StringComparer.Ordinal));
        Assert.All(recovered, r => Assert.Null(r.Snapshot));
        Assert.Equal([2L, 3], recovered.Single(r => r.PersistenceId == ids[0]).Events.Select(e => e.SequenceNr));
        foreach (var id in ids.Skip(1))
        {
            Assert.Equal([$"{id}#1", $"{id}#2", $"{id}#3"], recovered.Single(r => r.PersistenceId == id).Events.Select(e => Encoding.UTF8.GetString(e.Payload)));
        }
    }

    [Fact]
    public async Task A_partition_recovery_must_yield_nothing_for_an_empty_partition()
    {
        await WriteEventsAsync(2);
        await foreach (var _ in Store.RecoverPartitionAsync(NewId("empty"), Ct))
        {
            Assert.Fail("An empty partition recovered an entity.");
        }
    }
}
