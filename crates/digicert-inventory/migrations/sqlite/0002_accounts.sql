-- Version 2: accounts. Every order, name, history entry and sync state belongs to an
-- account (a config profile); order ids are unique per account. What version 1 held becomes
-- the `default` account's.
CREATE TABLE orders_v2 (
    account         TEXT NOT NULL,
    order_id        INTEGER NOT NULL,
    status          TEXT NOT NULL,
    common_name     TEXT,
    dns_names       TEXT NOT NULL DEFAULT '[]',
    valid_from      TEXT,
    valid_till      TEXT,
    product_name_id TEXT,
    thumbprint      TEXT,
    serial_number   TEXT,
    organization    TEXT,
    certificate_id  INTEGER,
    last_seen       TEXT NOT NULL,
    report_json     TEXT,
    info_json       TEXT,
    PRIMARY KEY (account, order_id)
);
INSERT INTO orders_v2 (account, order_id, status, common_name, dns_names, valid_from,
    valid_till, product_name_id, thumbprint, serial_number, organization, certificate_id,
    last_seen, report_json, info_json)
SELECT 'default', order_id, status, common_name, dns_names, valid_from, valid_till,
    product_name_id, thumbprint, serial_number, organization, certificate_id, last_seen,
    report_json, info_json
FROM orders;
DROP TABLE orders;
ALTER TABLE orders_v2 RENAME TO orders;
CREATE INDEX orders_expiring ON orders (status, valid_till);
CREATE INDEX orders_thumbprint ON orders (thumbprint);
CREATE INDEX orders_serial_number ON orders (serial_number);
CREATE INDEX orders_order_id ON orders (order_id);

CREATE TABLE order_names_v2 (
    name_key TEXT NOT NULL,
    account  TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    PRIMARY KEY (name_key, account, order_id)
) WITHOUT ROWID;
INSERT INTO order_names_v2 (name_key, account, order_id)
SELECT name_key, 'default', order_id FROM order_names;
DROP TABLE order_names;
ALTER TABLE order_names_v2 RENAME TO order_names;
CREATE INDEX order_names_order ON order_names (account, order_id);

ALTER TABLE status_history ADD COLUMN account TEXT NOT NULL DEFAULT 'default';

CREATE TABLE sync_state_v2 (
    account               TEXT PRIMARY KEY,
    watermark             TEXT,
    last_success          TEXT,
    last_duration_seconds REAL,
    last_full             TEXT
);
INSERT INTO sync_state_v2 (account, watermark, last_success, last_duration_seconds, last_full)
SELECT 'default', watermark, last_success, last_duration_seconds, last_full
FROM sync_state WHERE last_success IS NOT NULL;
DROP TABLE sync_state;
ALTER TABLE sync_state_v2 RENAME TO sync_state;
