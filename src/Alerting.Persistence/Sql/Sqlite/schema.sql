-- Journal, snapshot store and consumer offsets for the embedded SQLite store (see Postgres/schema.sql for the
-- meaning of each table). WAL mode is set separately, outside a transaction.
CREATE TABLE IF NOT EXISTS journal (
    persistence_id TEXT    NOT NULL,
    sequence_nr    INTEGER NOT NULL,
    partition_key  TEXT    NOT NULL,
    written_at     INTEGER NOT NULL,
    manifest       TEXT    NOT NULL,
    payload        BLOB    NOT NULL,
    deleted        INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (persistence_id, sequence_nr)
) WITHOUT ROWID;

CREATE INDEX IF NOT EXISTS journal_partition_idx ON journal (partition_key, persistence_id, sequence_nr);

CREATE TABLE IF NOT EXISTS snapshot (
    persistence_id TEXT    NOT NULL,
    sequence_nr    INTEGER NOT NULL,
    partition_key  TEXT    NOT NULL,
    created_at     INTEGER NOT NULL,
    manifest       TEXT    NOT NULL,
    payload        BLOB    NOT NULL,
    PRIMARY KEY (persistence_id, sequence_nr)
);

CREATE INDEX IF NOT EXISTS snapshot_partition_idx ON snapshot (partition_key, persistence_id, sequence_nr);

CREATE TABLE IF NOT EXISTS consumer_offset (
    group_id    TEXT    NOT NULL,
    topic       TEXT    NOT NULL,
    partition   INTEGER NOT NULL,
    next_offset INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (group_id, topic, partition)
) WITHOUT ROWID;
