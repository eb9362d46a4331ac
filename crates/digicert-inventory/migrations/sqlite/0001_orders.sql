-- Version 1: orders with their indexed columns and whole JSON, the names for `find`, the
-- status history, and the sync state.
CREATE TABLE orders (
    order_id        INTEGER PRIMARY KEY,
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
    info_json       TEXT
);
CREATE INDEX orders_expiring ON orders (status, valid_till);
CREATE INDEX orders_thumbprint ON orders (thumbprint);
CREATE INDEX orders_serial_number ON orders (serial_number);

CREATE TABLE order_names (
    name_key TEXT NOT NULL,
    order_id INTEGER NOT NULL,
    PRIMARY KEY (name_key, order_id)
) WITHOUT ROWID;
CREATE INDEX order_names_order ON order_names (order_id);

CREATE TABLE status_history (
    order_id       INTEGER NOT NULL,
    status         TEXT NOT NULL,
    certificate_id INTEGER,
    seen_at        TEXT NOT NULL
);
CREATE INDEX status_history_order ON status_history (order_id, seen_at);

CREATE TABLE sync_state (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    watermark             TEXT,
    last_success          TEXT,
    last_duration_seconds REAL,
    last_full             TEXT
);
INSERT INTO sync_state (id) VALUES (1);
