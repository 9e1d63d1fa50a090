-- Statements of PostgresEventStore, one per "-- name:" block; every value is a parameter.

-- name: copy_events
COPY journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload) FROM STDIN (FORMAT BINARY)

-- name: insert_events
INSERT INTO journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload)
SELECT * FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[], $5::text[], $6::bytea[])

-- name: insert_event
INSERT INTO journal (persistence_id, sequence_nr, partition_key, written_at, manifest, payload)
VALUES ($1, $2, $3, $4, $5, $6)

-- name: upsert_offsets
INSERT INTO consumer_offset (group_id, topic, partition, next_offset, updated_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::integer[], $4::bigint[], $5::bigint[])
ON CONFLICT (group_id, topic, partition) DO UPDATE
SET next_offset = EXCLUDED.next_offset, updated_at = EXCLUDED.updated_at

-- name: read_offsets
SELECT partition, next_offset FROM consumer_offset WHERE group_id = $1 AND topic = $2

-- name: replay
SELECT sequence_nr, written_at, manifest, payload
FROM journal
WHERE persistence_id = $1 AND sequence_nr >= $2 AND sequence_nr <= $3 AND NOT deleted
ORDER BY sequence_nr
LIMIT $4

-- name: highest_sequence_nr
SELECT COALESCE(max(sequence_nr), 0) FROM journal WHERE persistence_id = $1

-- Keeps the highest row (flagged deleted) so the highest sequence number survives.
-- name: delete_events
DELETE FROM journal
WHERE persistence_id = $1 AND sequence_nr <= $2
  AND sequence_nr < (SELECT max(sequence_nr) FROM journal WHERE persistence_id = $1)

-- name: flag_deleted
UPDATE journal SET deleted = true WHERE persistence_id = $1 AND sequence_nr <= $2 AND NOT deleted

-- name: save_snapshot
INSERT INTO snapshot (persistence_id, sequence_nr, partition_key, created_at, manifest, payload)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (persistence_id, sequence_nr) DO UPDATE
SET partition_key = EXCLUDED.partition_key, created_at = EXCLUDED.created_at,
    manifest = EXCLUDED.manifest, payload = EXCLUDED.payload

-- name: load_snapshot
SELECT sequence_nr, created_at, manifest, payload
FROM snapshot
WHERE persistence_id = $1 AND sequence_nr <= $2 AND created_at <= $3 AND sequence_nr >= $4 AND created_at >= $5
ORDER BY sequence_nr DESC
LIMIT 1

-- name: delete_snapshots
DELETE FROM snapshot
WHERE persistence_id = $1 AND sequence_nr <= $2 AND created_at <= $3 AND sequence_nr >= $4 AND created_at >= $5

-- name: recover_plan
SET LOCAL enable_sort = off

-- name: recover_snapshots
SELECT DISTINCT ON (persistence_id) persistence_id, sequence_nr, created_at, manifest, payload
FROM snapshot
WHERE partition_key = $1
ORDER BY persistence_id, sequence_nr DESC

-- name: recover_events
SELECT j.persistence_id, j.sequence_nr, j.written_at, j.manifest, j.payload
FROM journal j
LEFT JOIN (
    SELECT persistence_id, max(sequence_nr) AS snapshot_nr FROM snapshot WHERE partition_key = $1 GROUP BY persistence_id
) s ON s.persistence_id = j.persistence_id
WHERE j.partition_key = $1 AND NOT j.deleted AND j.sequence_nr > COALESCE(s.snapshot_nr, 0)
ORDER BY j.persistence_id, j.sequence_nr

-- The same for a partition without snapshots: no join to evaluate per row.
-- name: recover_all_events
SELECT persistence_id, sequence_nr, written_at, manifest, payload
FROM journal
WHERE partition_key = $1 AND NOT deleted
ORDER BY persistence_id, sequence_nr
