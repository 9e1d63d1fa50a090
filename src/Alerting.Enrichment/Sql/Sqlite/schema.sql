-- Device configuration for the enrichment lookup join (SQLite, the embedded mode).

-- One row per device: its configuration version, alert level and free-form info.
CREATE TABLE IF NOT EXISTS device_config (
    device_id TEXT NOT NULL PRIMARY KEY,
    version   INTEGER NOT NULL DEFAULT 0,
    level     INTEGER NOT NULL DEFAULT 0,
    info      TEXT
) WITHOUT ROWID;

-- One row per device with a service-level agreement; overrides is a JSON array of the alert types that an
-- alert on the device covers.
CREATE TABLE IF NOT EXISTS device_sla (
    device_id TEXT NOT NULL PRIMARY KEY,
    info      TEXT,
    overrides TEXT NOT NULL DEFAULT '[]' CHECK (json_valid(overrides))
) WITHOUT ROWID;
