-- Device configuration for the enrichment lookup join (PostgreSQL).
-- Serialised by an advisory lock so that several instances may apply it at once.
SELECT pg_advisory_xact_lock(7211354021);

-- One row per device: its configuration version, alert level and free-form info.
CREATE TABLE IF NOT EXISTS device_config (
    device_id text PRIMARY KEY,
    version   integer NOT NULL DEFAULT 0,
    level     integer NOT NULL DEFAULT 0,
    info      text
);

-- One row per device with a service-level agreement: its info and the alert types that an alert on the
-- device covers (the dispatcher drops a covered alert of lower priority).
CREATE TABLE IF NOT EXISTS device_sla (
    device_id text PRIMARY KEY,
    info      text,
    overrides text[] NOT NULL DEFAULT '{}'
);
