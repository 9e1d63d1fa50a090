-- Journal, snapshot store and consumer offsets. Applied at start-up when AutoInitialize is on; every statement
-- is idempotent, and concurrent instances serialize on an advisory lock.
SELECT pg_advisory_xact_lock(7387110042);

-- One row per event. The primary key fences writers: a stale owner appending at a used sequence number fails.
-- Deleting events keeps the highest row of a persistence id (flagged deleted) so the highest sequence number
-- survives deletes and keeps fencing.
CREATE TABLE IF NOT EXISTS journal (
    persistence_id text    NOT NULL,
    sequence_nr    bigint  NOT NULL,
    partition_key  text    NOT NULL,
    written_at     bigint  NOT NULL,
    manifest       text    NOT NULL,
    payload        bytea   NOT NULL,
    deleted        boolean NOT NULL DEFAULT false,
    CONSTRAINT journal_pk PRIMARY KEY (persistence_id, sequence_nr)
);

-- Bulk recovery of a partition reads its persistence ids in order through this index.
CREATE INDEX IF NOT EXISTS journal_partition_idx ON journal (partition_key, persistence_id, sequence_nr);

CREATE TABLE IF NOT EXISTS snapshot (
    persistence_id text   NOT NULL,
    sequence_nr    bigint NOT NULL,
    partition_key  text   NOT NULL,
    created_at     bigint NOT NULL,
    manifest       text   NOT NULL,
    payload        bytea  NOT NULL,
    CONSTRAINT snapshot_pk PRIMARY KEY (persistence_id, sequence_nr)
);

CREATE INDEX IF NOT EXISTS snapshot_partition_idx ON snapshot (partition_key, persistence_id, sequence_nr);

-- Next offset to read per consumer group, topic and partition, written in the transaction of the events it caused.
CREATE TABLE IF NOT EXISTS consumer_offset (
    group_id    text    NOT NULL,
    topic       text    NOT NULL,
    partition   integer NOT NULL,
    next_offset bigint  NOT NULL,
    updated_at  bigint  NOT NULL,
    CONSTRAINT consumer_offset_pk PRIMARY KEY (group_id, topic, partition)
);
