-- The device inventory of example 06 "inventory from a database", for MariaDB 10.4+ or
-- MySQL 8. Run it in the database the flow reads (snmp_fleet by default):
--
--     mariadb snmp_fleet < "06 inventory.sql"
--
-- One row per device. The flow reads
--     SELECT host, port, name, profile, poll_interval AS `interval`, labels
--     FROM snmp_inventory WHERE enabled
-- every minute and polls each enabled device every poll_interval seconds (NULL: the
-- snmp-bulkwalk node's interval, 300 s), with the snmp-config node named in `profile`
-- (NULL: the flow's own, fleet-v2c). `labels` become InfluxDB tags; the JSON type makes
-- the database refuse text that is not JSON. A row added, changed or deleted takes effect
-- at the flow's next read, without a redeploy.

CREATE TABLE IF NOT EXISTS snmp_inventory (
  host          VARCHAR(253)      NOT NULL COMMENT 'IP address or host name',
  port          SMALLINT UNSIGNED NOT NULL DEFAULT 161,
  name          VARCHAR(64)       NULL     COMMENT 'msg.topic and the device tag; NULL: the host',
  profile       VARCHAR(100)      NULL     COMMENT 'snmp-config node name; NULL: the flow''s own',
  poll_interval INT UNSIGNED      NULL     COMMENT 'seconds between two polls, 5 or more; NULL: the node''s interval',
  labels        JSON              NULL     COMMENT 'a JSON object of tags, e.g. {"site": "paris"}',
  enabled       BOOLEAN           NOT NULL DEFAULT TRUE,
  PRIMARY KEY (host, port)
);

-- Sample rows: six devices of the fleet simulator, started with
--     npm run sim -- --devices 6 --base-port 16100
-- (device i answers on 127.0.0.1, port 16100 + i). Two core routers every 60 s, three
-- access switches every 5 minutes, and a lab device switched off.
INSERT INTO snmp_inventory (host, port, name, profile, poll_interval, labels, enabled) VALUES
  ('127.0.0.1', 16100, 'core-1',   'fleet-v2c', 60,   '{"site": "paris", "role": "core"}',   TRUE),
  ('127.0.0.1', 16101, 'core-2',   NULL,        60,   '{"site": "lyon", "role": "core"}',    TRUE),
  ('127.0.0.1', 16102, 'access-1', NULL,        NULL, '{"site": "paris", "role": "access"}', TRUE),
  ('127.0.0.1', 16103, 'access-2', NULL,        300,  '{"site": "paris", "role": "access"}', TRUE),
  ('127.0.0.1', 16104, 'access-3', NULL,        NULL, '{"site": "lyon", "role": "access"}',  TRUE),
  ('127.0.0.1', 16105, 'lab-1',    NULL,        30,   '{"site": "lab"}',                     FALSE)
ON DUPLICATE KEY UPDATE name = VALUES(name);
