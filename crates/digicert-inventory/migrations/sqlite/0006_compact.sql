-- Version 6: a compact inventory. Each order's JSON is kept as one zstd frame (`report`,
-- `info`; src/codec.rs), compressed with a dictionary trained on its account's own orders
-- (`json_dictionaries`: a frame names its dictionary by id), in about a fifth of the text's
-- bytes; the text columns go. The step between the statements copies each order an earlier
-- version stored into a new table, its JSON compressed, so that the orders' pages are full
-- again. The index `inventory expiring` reads holds the issued orders only, the only ones
-- it lists.
CREATE TABLE json_dictionaries (
    id         INTEGER PRIMARY KEY,
    account    TEXT NOT NULL,
    dictionary BLOB NOT NULL
);
CREATE TABLE orders_v6 (
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
    report          BLOB,
    info            BLOB,
    PRIMARY KEY (account, order_id)
);
-- digicert-inventory: the Rust step runs here.
DROP TABLE orders;
ALTER TABLE orders_v6 RENAME TO orders;
CREATE INDEX orders_expiring ON orders (status, valid_till, order_id, account, common_name,
    dns_names, valid_from, product_name_id, thumbprint, serial_number, organization,
    certificate_id) WHERE status = 'issued';
CREATE INDEX orders_thumbprint ON orders (thumbprint);
CREATE INDEX orders_serial_number ON orders (serial_number);
CREATE INDEX orders_order_id ON orders (order_id);
