-- Rule instances: a template and its parameters (JSON object), enabled flag and version.
CREATE TABLE IF NOT EXISTS alert_rules (
    rule_id     text        PRIMARY KEY,
    template    text        NOT NULL,
    params      jsonb       NOT NULL DEFAULT '{}'::jsonb,
    enabled     boolean     NOT NULL DEFAULT true,
    version     integer     NOT NULL DEFAULT 1,
    updated_at  timestamptz NOT NULL DEFAULT now()
);
