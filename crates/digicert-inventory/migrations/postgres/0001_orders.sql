-- Version 1, as SQLite's: orders with their indexed columns and whole JSON (as text, kept
-- byte for byte), the names for `find` (byte order, `C`, so prefix ranges hold), the status
-- history, and the sync state.
CREATE TABLE orders (
    order_id        BIGINT PRIMARY KEY,
    status          TEXT NOT NULL,
    common_name     TEXT,
    dns_names       TEXT NOT NULL DEFAULT '[]',
    valid_from      DATE,
    valid_till      DATE,
    product_name_id TEXT,
    thumbprint      TEXT COLLATE "C",
    serial_number   TEXT COLLATE "C",
    organization    TEXT,
    certificate_id  BIGINT,
    last_seen       TIMESTAMPTZ NOT NULL,
    report_json     TEXT,
    info_json       TEXT
);
CREATE INDEX orders_expiring ON orders (status, valid_till);
CREATE INDEX orders_thumbprint ON orders (thumbprint);
CREATE INDEX orders_serial_number ON orders (serial_number);

CREATE TABLE order_names (
    name_key TEXT COLLATE "C" NOT NULL,
    order_id BIGINT NOT NULL,
    PRIMARY KEY (name_key, order_id)
);
CREATE INDEX order_names_order ON order_names (order_id);

CREATE TABLE status_history (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id       BIGINT NOT NULL,
    status         TEXT NOT NULL,
    certificate_id BIGINT,
    seen_at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX status_history_order ON status_history (order_id, seen_at);

CREATE TABLE sync_state (
    id                    INTEGER PRIMARY KEY CHECK (id = 1),
    watermark             TIMESTAMPTZ,
    last_success          TIMESTAMPTZ,
    last_duration_seconds DOUBLE PRECISION,
    last_full             TIMESTAMPTZ
);
INSERT INTO sync_state (id) VALUES (1);
