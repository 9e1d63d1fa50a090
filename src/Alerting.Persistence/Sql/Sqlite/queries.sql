-- Statements of SqliteEventStore, one per "-- name:" block; every value is a parameter.

-- name: insert_event
INSERT INTO journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload)
VALUES ($id, $seq, $partition, $at, $manifest, $payload)

-- name: upsert_offset
INSERT INTO consumer_offset (group_id, topic, partition, next_offset, updated_at)
VALUES ($group, $topic, $partition, $offset, $at)
ON CONFLICT (group_id, topic, partition) DO UPDATE
SET next_offset = excluded.next_offset, updated_at = excluded.updated_at

-- name: read_offsets
SELECT partition, next_offset FROM consumer_offset WHERE group_id = $group AND topic = $topic

-- name: replay
SELECT sequence_nr, written_at, manifest, payload
FROM journal
WHERE persistence_id = $id AND sequence_nr >= $from AND sequence_nr <= $to AND deleted = 0
ORDER BY sequence_nr
LIMIT $max

-- name: highest_sequence_nr
SELECT COALESCE(max(sequence_nr), 0) FROM journal WHERE persistence_id = $id

-- name: delete_events
DELETE FROM journal
WHERE persistence_id = $id AND sequence_nr <= $to
  AND sequence_nr < (SELECT max(sequence_nr) FROM journal WHERE persistence_id = $id)

-- name: flag_deleted
UPDATE journal SET deleted = 1 WHERE persistence_id = $id AND sequence_nr <= $to AND deleted = 0

-- name: save_snapshot
INSERT INTO snapshot (persistence_id, sequence_nr, partition_key, created_at, manifest, payload)
VALUES ($id, $seq, $partition, $at, $manifest, $payload)
ON CONFLICT (persistence_id, sequence_nr) DO UPDATE
SET partition_key = excluded.partition_key, created_at = excluded.created_at,
    manifest = excluded.manifest, payload = excluded.payload

-- name: load_snapshot
SELECT sequence_nr, created_at, manifest, payload
FROM snapshot
WHERE persistence_id = $id AND sequence_nr <= $max_seq AND created_at <= $max_at AND sequence_nr >= $min_seq AND created_at >= $min_at
ORDER BY sequence_nr DESC
LIMIT 1

-- name: delete_snapshots
DELETE FROM snapshot
WHERE persistence_id = $id AND sequence_nr <= $max_seq AND created_at <= $max_at AND sequence_nr >= $min_seq AND created_at >= $min_at

-- name: recover_snapshots
SELECT s.persistence_id, s.sequence_nr, s.created_at, s.manifest, s.payload
FROM snapshot s
JOIN (SELECT persistence_id, max(sequence_nr) AS snapshot_nr FROM snapshot WHERE partition_key = $partition GROUP BY persistence_id) l
  ON l.persistence_id = s.persistence_id AND l.snapshot_nr = s.sequence_nr

-- name: recover_events
SELECT j.persistence_id, j.sequence_nr, j.written_at, j.manifest, j.payload
FROM journal j
LEFT JOIN (
    SELECT persistence_id, max(sequence_nr) AS snapshot_nr FROM snapshot WHERE partition_key = $partition GROUP BY persistence_id
) s ON s.persistence_id = j.persistence_id
WHERE j.partition_key = $partition AND j.deleted = 0 AND j.sequence_nr > COALESCE(s.snapshot_nr, 0)
ORDER BY j.persistence_id, j.sequence_nr
