-- Rule instances: a template and its parameters (JSON object), enabled flag and version.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     TEXT    PRIMARY KEY,
    template    TEXT    NOT NULL,
    params      TEXT    NOT NULL DEFAULT '{}',
    enabled     INTEGER NOT NULL DEFAULT 1,
    version     INTEGER NOT NULL DEFAULT 1,
    updated_at  TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);

-- Applied rule sets: every accepted set as one version, with the event time it takes effect at (Unix ms)
-- and its rules (a JSON array of { id, template, params, enabled, version }).
CREATE TABLE IF NOT EXISTS alert_rule_sets (
    version       INTEGER PRIMARY KEY,
    effective_at  INTEGER NOT NULL,
    rules         TEXT    NOT NULL,
    applied_at    TEXT    NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))
);
