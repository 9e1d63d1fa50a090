-- Bootstrap over history: the look-back in ms (NULL: none) and what happens to the alerts found (emit | suppress).
-- Run once on a table made before bootstraps existed (SQLite has no ADD COLUMN IF NOT EXISTS).
ALTER TABLE alert_rules ADD COLUMN bootstrap_ms INTEGER NULL;
ALTER TABLE alert_rules ADD COLUMN bootstrap_alerts TEXT NOT NULL DEFAULT 'emit';
