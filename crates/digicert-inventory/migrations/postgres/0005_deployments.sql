-- Version 5, as SQLite's: what the deployment probe needs.
--
-- `certificates`: every certificate an order had before its current one (the current one is
-- the order's own row), kept when a sync replaces it, and certificates found by looking a
-- served one up (an order's reissues, order info by thumbprint), so that a served
-- certificate is told stale rather than unknown. By thumbprint (normalized, as the orders
-- keep it).
CREATE TABLE certificates (
    thumbprint     TEXT COLLATE "C" NOT NULL,
    account        TEXT NOT NULL,
    order_id       BIGINT NOT NULL,
    certificate_id BIGINT,
    serial_number  TEXT COLLATE "C",
    valid_from     DATE,
    valid_till     DATE,
    first_seen     TIMESTAMPTZ,
    last_seen      TIMESTAMPTZ,
    source         TEXT NOT NULL,
    PRIMARY KEY (thumbprint, account)
);
CREATE INDEX certificates_order ON certificates (account, order_id);

-- Served certificates looked up in CertCentral and not found there, so that later probes do
-- not ask again.
CREATE TABLE certificate_lookups (
    thumbprint   TEXT COLLATE "C" NOT NULL,
    account      TEXT NOT NULL,
    looked_up_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (thumbprint, account)
);

-- The latest probe of each endpoint (name or address, port, and the address dialled).
CREATE TABLE deployments (
    target                TEXT NOT NULL,
    port                  BIGINT NOT NULL,
    address               TEXT NOT NULL,
    account               TEXT,
    state                 TEXT NOT NULL,
    reason                TEXT,
    verified              BOOLEAN,
    order_id              BIGINT,
    served_serial_number  TEXT,
    served_thumbprint     TEXT,
    served_not_after      TIMESTAMPTZ,
    current_serial_number TEXT,
    current_thumbprint    TEXT,
    probed_at             TIMESTAMPTZ NOT NULL,
    duration_seconds      DOUBLE PRECISION,
    PRIMARY KEY (target, port, address)
);
CREATE INDEX deployments_order ON deployments (order_id);

-- A row each time an endpoint's state or served certificate changed.
CREATE TABLE deployment_history (
    id                    BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target                TEXT NOT NULL,
    port                  BIGINT NOT NULL,
    address               TEXT NOT NULL,
    account               TEXT,
    state                 TEXT NOT NULL,
    reason                TEXT,
    verified              BOOLEAN,
    order_id              BIGINT,
    served_serial_number  TEXT,
    served_thumbprint     TEXT,
    served_not_after      TIMESTAMPTZ,
    current_serial_number TEXT,
    current_thumbprint    TEXT,
    probed_at             TIMESTAMPTZ NOT NULL,
    duration_seconds      DOUBLE PRECISION
);
CREATE INDEX deployment_history_order ON deployment_history (order_id, probed_at);
CREATE INDEX deployment_history_endpoint ON deployment_history (target, port, address, probed_at);
