-- Version 5: what the deployment probe needs.
--
-- `certificates`: every certificate an order had before its current one (the current one is
-- the order's own row), kept when a sync replaces it, and certificates found by looking a
-- served one up (an order's reissues, order info by thumbprint), so that a served
-- certificate is told stale rather than unknown. By thumbprint (normalized, as the orders
-- keep it).
CREATE TABLE certificates (
    thumbprint     TEXT NOT NULL,
    account        TEXT NOT NULL,
    order_id       INTEGER NOT NULL,
    certificate_id INTEGER,
    serial_number  TEXT,
    valid_from     TEXT,
    valid_till     TEXT,
    first_seen     TEXT,
    last_seen      TEXT,
    source         TEXT NOT NULL,
    PRIMARY KEY (thumbprint, account)
) WITHOUT ROWID;
CREATE INDEX certificates_order ON certificates (account, order_id);

-- Served certificates looked up in CertCentral and not found there, so that later probes do
-- not ask again.
CREATE TABLE certificate_lookups (
    thumbprint   TEXT NOT NULL,
    account      TEXT NOT NULL,
    looked_up_at TEXT NOT NULL,
    PRIMARY KEY (thumbprint, account)
) WITHOUT ROWID;

-- The latest probe of each endpoint (name or address, port, and the address dialled).
CREATE TABLE deployments (
    target                TEXT NOT NULL,
    port                  INTEGER NOT NULL,
    address               TEXT NOT NULL,
    account               TEXT,
    state                 TEXT NOT NULL,
    reason                TEXT,
    verified              INTEGER,
    order_id              INTEGER,
    served_serial_number  TEXT,
    served_thumbprint     TEXT,
    served_not_after      TEXT,
    current_serial_number TEXT,
    current_thumbprint    TEXT,
    probed_at             TEXT NOT NULL,
    duration_seconds      REAL,
    PRIMARY KEY (target, port, address)
);
CREATE INDEX deployments_order ON deployments (order_id);

-- A row each time an endpoint's state or served certificate changed.
CREATE TABLE deployment_history (
    target                TEXT NOT NULL,
    port                  INTEGER NOT NULL,
    address               TEXT NOT NULL,
    account               TEXT,
    state                 TEXT NOT NULL,
    reason                TEXT,
    verified              INTEGER,
    order_id              INTEGER,
    served_serial_number  TEXT,
    served_thumbprint     TEXT,
    served_not_after      TEXT,
    current_serial_number TEXT,
    current_thumbprint    TEXT,
    probed_at             TEXT NOT NULL,
    duration_seconds      REAL
);
CREATE INDEX deployment_history_order ON deployment_history (order_id, probed_at);
CREATE INDEX deployment_history_endpoint ON deployment_history (target, port, address, probed_at);
