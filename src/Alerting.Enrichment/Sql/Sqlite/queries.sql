-- name: load
-- @ids is a JSON array of device ids; devices with no row in either table are absent.
SELECT i.value AS device_id,
       c.device_id IS NOT NULL AS has_config,
       c.version,
       c.level,
       c.info,
       s.info AS sla_info,
       s.overrides
FROM json_each(@ids) AS i
LEFT JOIN device_config c ON c.device_id = i.value
LEFT JOIN device_sla s ON s.device_id = i.value
WHERE c.device_id IS NOT NULL OR s.device_id IS NOT NULL;

-- name: upsert_config
INSERT INTO device_config (device_id, version, level, info)
VALUES (@id, @version, @level, @info)
ON CONFLICT (device_id) DO UPDATE SET version = excluded.version, level = excluded.level, info = excluded.info;

-- name: upsert_sla
INSERT INTO device_sla (device_id, info, overrides)
VALUES (@id, @sla_info, @overrides)
ON CONFLICT (device_id) DO UPDATE SET info = excluded.info, overrides = excluded.overrides;
