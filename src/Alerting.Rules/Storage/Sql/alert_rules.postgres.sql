-- Rule instances: a template and its parameters (JSON object), enabled flag and version.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     text        PRIMARY KEY,
    template    text        NOT NULL,
    params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    enabled     boolean     NOT NULL DEFAULT true,
    version     integer     NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Bootstrap over history: the look-back in ms (NULL: none) and what happens to the alerts found (emit | suppress).
-- Added to tables made before bootstraps existed.
ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS bootstrap_ms bigint NULL;
ALTER TABLE alert_rules ADD COLUMN IF NOT EXISTS bootstrap_alerts text NOT NULL DEFAULT 'emit';

-- Applied rule sets: every accepted set as one version, with the event time it takes effect at (Unix ms)
-- and its rules (a JSON array of { id, template, params, enabled, version }).
CREATE TABLE IF NOT EXISTS alert_rule_sets (
    version       bigint      PRIMARY KEY,
    effective_at  bigint      NOT NULL,
    rules         jsonb       NOT NULL,
    applied_at    timestamptz NOT NULL DEFAULT now()
);
