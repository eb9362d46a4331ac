-- Version 6, as SQLite's: each order's JSON is kept as one zstd frame (`report`, `info`;
-- src/codec.rs), compressed with a dictionary trained on its account's own orders
-- (`json_dictionaries`: a frame names its dictionary by id), in about a fifth of the text's
-- bytes, stored as it is (`EXTERNAL`: the server does not try to compress it again); the
-- text columns go. The step between the statements compresses what an earlier version
-- stored. The index `inventory expiring` reads holds the issued orders only.
CREATE TABLE json_dictionaries (
    id         BIGINT PRIMARY KEY,
    account    TEXT NOT NULL,
    dictionary BYTEA NOT NULL
);
ALTER TABLE orders ADD COLUMN report BYTEA, ADD COLUMN info BYTEA;
ALTER TABLE orders ALTER COLUMN report SET STORAGE EXTERNAL,
    ALTER COLUMN info SET STORAGE EXTERNAL;
-- digicert-inventory: the Rust step runs here.
ALTER TABLE orders DROP COLUMN report_json, DROP COLUMN info_json;
DROP INDEX orders_expiring;
CREATE INDEX orders_expiring ON orders (status, valid_till, order_id, account)
    INCLUDE (common_name, dns_names, valid_from, product_name_id, thumbprint, serial_number,
    organization, certificate_id) WHERE status = 'issued';
