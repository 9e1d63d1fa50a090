-- Rule instances: a template and its parameters (JSON object), enabled flag and version.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     TEXT    PRIMARY KEY,
    template    TEXT    NOT NULL,
    params      TEXT    NOT NULL DEFAULT '{}',
    enabled     INTEGER NOT NULL DEFAULT 1,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
