-- Rule instances: a template and its parameters (JSON object), enabled flag and version.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     text        PRIMARY KEY,
    template    text        NOT NULL,
    params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    enabled     boolean     NOT NULL DEFAULT true,
    version     integer     NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Applied rule sets: every accepted set as one version, with the event time it takes effect at (Unix ms)
-- and its rules (a JSON array of { id, template, params, enabled, version }).
CREATE TABLE IF NOT EXISTS alert_rule_sets (
    version       bigint      PRIMARY KEY,
    effective_at  bigint      NOT NULL,
    rules         jsonb       NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);
