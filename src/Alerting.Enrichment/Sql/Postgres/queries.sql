-- name: load
-- Every requested device that has a row in either table; devices with no row at all are absent.
SELECT i.device_id,
       c.device_id IS NOT NULL AS has_config,
       c.version,
       c.level,
       c.info,
       s.info AS sla_info,
       s.overrides
FROM unnest(@ids::text[]) AS i(device_id)
LEFT JOIN device_config c ON c.device_id = i.device_id
LEFT JOIN device_sla s ON s.device_id = i.device_id
WHERE c.device_id IS NOT NULL OR s.device_id IS NOT NULL;

-- name: upsert_config
INSERT INTO device_config (device_id, version, level, info)
SELECT t.device_id, t.version, t.level, t.info
FROM unnest(@ids::text[], @versions::integer[], @levels::integer[], @infos::text[]) AS t(device_id, version, level, info)
ON CONFLICT (device_id) DO UPDATE SET version = excluded.version, level = excluded.level, info = excluded.info;

-- name: upsert_sla
-- Overrides travel as one JSON array per row (a text[] of text[] cannot be unnested row by row).
INSERT INTO device_sla (device_id, info, overrides)
SELECT t.device_id, t.info, ARRAY(SELECT json_array_elements_text(t.overrides::json))
FROM unnest(@ids::text[], @sla_infos::text[], @overrides::text[]) AS t(device_id, info, overrides)
ON CONFLICT (device_id) DO UPDATE SET info = excluded.info, overrides = excluded.overrides;
